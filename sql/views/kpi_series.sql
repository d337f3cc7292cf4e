-- kpi_series: the daily values of every KPI series over the reach, one row per series and day (zeros on days
-- without activity). A series is a level and a member: the company ('All'), a state, a district ('District,
-- State'), a product line, a dealer. Dealers are placed by dealer_geo on the run's last as-of date.
-- inputs: kpi_dealer_daily, dealer_geo, as_of_dates; parameter :kpi_reach_days

with

bounds as (
    select
        date_sub(min(as_of_date), :kpi_reach_days) as first_day,
        max(as_of_date) as last_day
    from as_of_dates
),

geo as (
    select dealer_geo.dealer_code, dealer_geo.state, dealer_geo.district
    from dealer_geo
    inner join bounds
        on dealer_geo.as_of_date = bounds.last_day
),

placed as (
    select
        facts.*,
        geo.state,
        geo.district
    from kpi_dealer_daily as facts
    left join geo
        on facts.dealer_code = geo.dealer_code
),

rolled as (
    select
        'company' as level, 'All' as member, cast(null as string) as state, cast(null as string) as district,
        cast(null as string) as dealer_code, cast(null as string) as product_line, day,
        sum(leads) as leads, sum(hi_leads) as hi_leads, sum(bookings) as bookings, sum(closed) as closed,
        sum(won) as won, sum(retail_units) as retail_units, sum(retail_value) as retail_value,
        sum(saleable_stock) as saleable_stock
    from placed
    group by day
    union all
    select
        'state', state, state, null, null, null, day,
        sum(leads), sum(hi_leads), sum(bookings), sum(closed), sum(won), sum(retail_units), sum(retail_value),
        sum(saleable_stock)
    from placed
    where state is not null
    group by state, day
    union all
    select
        'district', concat(district, ', ', state), state, district, null, null, day,
        sum(leads), sum(hi_leads), sum(bookings), sum(closed), sum(won), sum(retail_units), sum(retail_value),
        sum(saleable_stock)
    from placed
    where district is not null and state is not null
    group by state, district, day
    union all
    select
        'product_line', product_line, null, null, null, product_line, day,
        sum(leads), sum(hi_leads), sum(bookings), sum(closed), sum(won), sum(retail_units), sum(retail_value),
        sum(saleable_stock)
    from placed
    group by product_line, day
    union all
    select
        'dealer', dealer_code, max(state), max(district), dealer_code, null, day,
        sum(leads), sum(hi_leads), sum(bookings), sum(closed), sum(won), sum(retail_units), sum(retail_value),
        sum(saleable_stock)
    from placed
    group by dealer_code, day
),

members as (
    select level, member, max(state) as state, max(district) as district, max(dealer_code) as dealer_code,
           max(product_line) as product_line
    from rolled
    group by level, member
),

days as (
    select explode(sequence(bounds.first_day, bounds.last_day)) as day
    from bounds
),

final as (
    select
        -- ids
        members.level,
        members.member,
        members.state,
        members.district,
        members.dealer_code,
        members.product_line,
        days.day,
        -- measures (0 on a day without activity; value and stock null where the source has none)
        cast(coalesce(rolled.leads, 0) as bigint) as leads,
        cast(coalesce(rolled.hi_leads, 0) as bigint) as hi_leads,
        cast(coalesce(rolled.bookings, 0) as bigint) as bookings,
        cast(coalesce(rolled.closed, 0) as bigint) as closed,
        cast(coalesce(rolled.won, 0) as bigint) as won,
        cast(coalesce(rolled.retail_units, 0) as bigint) as retail_units,
        rolled.retail_value,
        cast(rolled.saleable_stock as bigint) as saleable_stock
    from members
    cross join days
    left join rolled
        on members.level = rolled.level
        and members.member = rolled.member
        and days.day = rolled.day
)

select * from final
