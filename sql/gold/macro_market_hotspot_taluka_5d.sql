-- macro_market_hotspot_taluka_5d: taluka signals and status per as-of date.
--   NOISE     fewer than :min_dealers dealers, or fewer than :min_leads leads in the current window
--   HOTSPOT   lead, high-intent and retail growth all above their thresholds
--   EMERGING  lead growth above its threshold
--   STABLE    otherwise
-- inputs: dealer_market_features_5d (this run's rows); parameters :min_dealers :min_leads :lead_growth
--         :intent_growth :retail_growth

with

features as (
    select * from dealer_market_features_5d
),

talukas as (
    select
        as_of_date,
        state,
        district,
        taluka,
        count(distinct dealer_code) as dealer_count,
        sum(leads_cur) as leads_cur,
        sum(leads_prev) as leads_prev,
        sum(hi_leads_cur) as hi_leads_cur,
        sum(hi_leads_prev) as hi_leads_prev,
        sum(retail_cur) as retail_cur,
        sum(retail_prev) as retail_prev,
        sum(total_stock) as total_stock,
        sum(saleable_stock) as saleable_stock
    from features
    group by as_of_date, state, district, taluka
),

growth as (
    select
        talukas.*,
        cast(leads_cur - leads_prev as double) / greatest(leads_prev, 1) as lead_growth,
        cast(hi_leads_cur - hi_leads_prev as double) / greatest(hi_leads_prev, 1) as hi_lead_growth,
        cast(retail_cur - retail_prev as double) / greatest(retail_prev, 1) as retail_growth
    from talukas
),

final as (
    select
        -- ids
        as_of_date,
        state,
        district,
        taluka,
        -- measures
        cast(dealer_count as bigint) as dealer_count,
        cast(leads_cur as bigint) as leads_cur,
        cast(leads_prev as bigint) as leads_prev,
        lead_growth,
        cast(hi_leads_cur as bigint) as hi_leads_cur,
        cast(hi_leads_prev as bigint) as hi_leads_prev,
        hi_lead_growth,
        cast(retail_cur as bigint) as retail_cur,
        cast(retail_prev as bigint) as retail_prev,
        retail_growth,
        cast(total_stock as bigint) as total_stock,
        cast(saleable_stock as bigint) as saleable_stock,
        -- flags
        hi_leads_cur > 0 and (retail_cur = 0 or saleable_stock = 0) as has_supply_gap,
        case
            when dealer_count < :min_dealers or leads_cur < :min_leads then 'NOISE'
            when lead_growth > :lead_growth
                and hi_lead_growth > :intent_growth
                and retail_growth > :retail_growth then 'HOTSPOT'
            when lead_growth > :lead_growth then 'EMERGING'
            else 'STABLE'
        end as status
    from growth
)

select * from final
