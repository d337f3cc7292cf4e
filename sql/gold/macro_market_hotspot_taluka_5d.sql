-- macro_market_hotspot_taluka_5d: taluka signals and status per as-of date.
--   NOISE     fewer than :min_dealers dealers, or fewer than :min_leads leads in the current window
--   HOTSPOT   a rise (below), and high-intent and retail growth above their thresholds
--   EMERGING  a rise: the surge detector's flag (taluka_lead_surveillance.is_surge): the taluka's recent leads
--             are above the upper prediction bound of what its own history and the market explain
--   STABLE    otherwise
-- The detector's statistic is kept on every row (recent, expected and upper leads, dispersion, score). The
-- 5-day columns (growth, market_lead_growth, lead_z) stay as the words leaders know; they no longer decide a
-- rise. lead_z: the taluka's current leads against what it would have had if it had moved like the whole
-- market (all talukas) since the previous window, in Poisson standard deviations.
-- inputs: dealer_market_features_5d, taluka_lead_surveillance (this run's rows); parameters :min_dealers
--         :min_leads :intent_growth :retail_growth

with

features as (
    select * from dealer_market_features_5d
),

surveillance as (
    select * from taluka_lead_surveillance
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

market as (
    select
        as_of_date,
        cast(sum(leads_cur) as double) / greatest(sum(leads_prev), 1) as market_ratio
    from talukas
    group by as_of_date
),

growth as (
    select
        talukas.*,
        market.market_ratio - 1 as market_lead_growth,
        (talukas.leads_cur - talukas.leads_prev * market.market_ratio)
            / sqrt(greatest(talukas.leads_prev * market.market_ratio, 1.0D)) as lead_z,
        cast(leads_cur - leads_prev as double) / greatest(leads_prev, 1) as lead_growth,
        cast(hi_leads_cur - hi_leads_prev as double) / greatest(hi_leads_prev, 1) as hi_lead_growth,
        cast(retail_cur - retail_prev as double) / greatest(retail_prev, 1) as retail_growth
    from talukas
    inner join market
        on talukas.as_of_date = market.as_of_date
),

-- a taluka without a lead in the detector's look-back has no surveillance row: no surge
signals as (
    select
        growth.*,
        coalesce(surveillance.recent_leads, 0) as recent_leads,
        coalesce(surveillance.expected_leads, 0.0D) as expected_leads,
        surveillance.upper_leads,
        surveillance.lead_dispersion,
        surveillance.surge_score,
        coalesce(surveillance.is_surge, false) as is_surge
    from growth
    left join surveillance
        on growth.as_of_date = surveillance.as_of_date
       and growth.state = surveillance.state
       and growth.district = surveillance.district
       and growth.taluka = surveillance.taluka
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
        market_lead_growth,
        lead_z,
        cast(hi_leads_cur as bigint) as hi_leads_cur,
        cast(hi_leads_prev as bigint) as hi_leads_prev,
        hi_lead_growth,
        cast(retail_cur as bigint) as retail_cur,
        cast(retail_prev as bigint) as retail_prev,
        retail_growth,
        cast(total_stock as bigint) as total_stock,
        cast(saleable_stock as bigint) as saleable_stock,
        -- the surge detector's statistic
        cast(recent_leads as bigint) as recent_leads,
        expected_leads,
        upper_leads,
        lead_dispersion,
        surge_score,
        is_surge,
        -- flags
        hi_leads_cur > 0 and (retail_cur = 0 or saleable_stock = 0) as has_supply_gap,
        case
            when dealer_count < :min_dealers or leads_cur < :min_leads then 'NOISE'
            when is_surge and hi_lead_growth > :intent_growth and retail_growth > :retail_growth then 'HOTSPOT'
            when is_surge then 'EMERGING'
            else 'STABLE'
        end as status
    from signals
)

select * from final
