-- district_top3_talukas: the most actionable talukas per district: status first (HOTSPOT, EMERGING,
-- STABLE, NOISE), then current lead volume, then name; the first :top_n per district.
-- inputs: macro_market_hotspot_taluka_5d (this run's rows); parameter :top_n

with

talukas as (
    select * from macro_market_hotspot_taluka_5d
),

ranked as (
    select
        talukas.*,
        row_number() over (
            partition by as_of_date, state, district
            order by
                case status when 'HOTSPOT' then 1 when 'EMERGING' then 2 when 'STABLE' then 3 else 4 end,
                leads_cur desc,
                taluka
        ) as rank
    from talukas
),

final as (
    select
        -- ids
        as_of_date,
        state,
        district,
        cast(rank as int) as rank,
        taluka,
        -- status and measures
        status,
        dealer_count,
        leads_cur,
        lead_growth,
        hi_leads_cur,
        hi_lead_growth,
        retail_cur,
        saleable_stock,
        has_supply_gap
    from ranked
    where rank <= :top_n
)

select * from final
