-- taluka_daily_leads: leads created per taluka and day over the hotspot detector's look-back, as known on each
-- as-of date: the opportunities known by the end of the as-of date (the same "as known" rows dealer_leads_5d
-- counts), placed in the taluka of their dealer on that date (dealer_geo). The look-back is
-- :hotspot_lookback_days days ending on the as-of date (the detector's baseline, guard, surge window and
-- persistence days). A day without a lead in the taluka has no row: a count of 0.
-- inputs: as_of_dates, opportunity_versions, dealer_geo (this run's rows); parameter :hotspot_lookback_days

with

dates as (
    select as_of_date from as_of_dates
),

geo as (
    select * from dealer_geo
),

-- each opportunity as known at the end of the as-of date, when it was created within the look-back
as_known as (
    select
        dates.as_of_date,
        versions.dealer_code,
        versions.created_date
    from opportunity_versions as versions
    inner join dates
        on versions.known_from_date <= dates.as_of_date
       and versions.known_until_date > dates.as_of_date
       and versions.created_date between date_sub(dates.as_of_date, :hotspot_lookback_days - 1)
           and dates.as_of_date
),

final as (
    select
        -- ids
        geo.as_of_date,
        geo.state,
        geo.district,
        geo.taluka,
        -- dates
        as_known.created_date as lead_date,
        -- measures
        cast(count(*) as bigint) as leads
    from as_known
    inner join geo
        on as_known.as_of_date = geo.as_of_date
       and as_known.dealer_code = geo.dealer_code
    group by geo.as_of_date, geo.state, geo.district, geo.taluka, as_known.created_date
)

select * from final
