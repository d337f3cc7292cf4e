-- seasonality_profile: month and day-of-week indices of leads (by creation day) and retail units (by invoice
-- day), per product line and for All, over the last :seasonality_days days of data before each as-of date:
-- index = the mean per day in the period / the mean per day over all those days (1 = an ordinary period).
-- Days without a lead or a sale count as zeros from the first day the measure has data; a month with fewer
-- than :seasonality_min_days days of data gets no row.
-- inputs: customer_pipeline_history, retail, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

bounds as (
    select date_sub(min(as_of_date), :seasonality_days - 1) as first_day, max(as_of_date) as last_day from dates
),

lead_days as (
    select history.product_line, history.created_date as day, count(distinct history.opty_id) as amount
    from customer_pipeline_history as history
    cross join bounds
    where history.created_date between bounds.first_day and bounds.last_day
    group by history.product_line, history.created_date
),

sale_days as (
    select retail.product_line, retail.retail_date as day, sum(retail.units) as amount
    from retail
    cross join bounds
    where retail.retail_date between bounds.first_day and bounds.last_day
    group by retail.product_line, retail.retail_date
),

-- each day's amount per product line and for All (a row counted under its line and under All: one reading of
-- lead_days and sale_days each, which the engine would otherwise compute once per reference)
daily as (
    select measure, case when rollup_all then 'All' else product_line end as product_line, day, sum(amount) as amount
    from (
        select 'leads' as measure, product_line, day, amount from lead_days
        union all
        select 'retail_units', product_line, day, amount from sale_days
    ) as days
    cross join (select false as rollup_all union all select true) as rollups
    group by measure, case when rollup_all then 'All' else product_line end, day
),

-- the first day each measure has data, over all of it (not only the run's reach), so that a date gives the
-- same index whichever other dates run with it
first_days as (
    select 'leads' as measure, product_line, min(created_date) as first_day
    from customer_pipeline_history
    group by product_line
    union all
    select 'retail_units', product_line, min(retail_date) from retail group by product_line
),

series as (
    -- per product line and for All, from one reading of first_days (as daily above)
    select measure, case when rollup_all then 'All' else product_line end as product_line, min(first_day) as first_day
    from first_days
    cross join (select false as rollup_all union all select true) as rollups
    group by measure, case when rollup_all then 'All' else product_line end
),

grid as (
    select
        dates.as_of_date,
        series.measure,
        series.product_line,
        explode(
            sequence(greatest(series.first_day, date_sub(dates.as_of_date, :seasonality_days - 1)), dates.as_of_date)
        ) as day
    from series
    cross join dates
    where series.first_day <= dates.as_of_date
),

filled as (
    select grid.*, coalesce(daily.amount, 0) as amount
    from grid
    left join daily
        on grid.measure = daily.measure
        and grid.product_line = daily.product_line
        and grid.day = daily.day
),

-- month and weekday means in one pass over filled (grouping sets: the set a row belongs to is the one whose key
-- is not null), and each series' mean over all its days from them (a window: every day is in one month and one
-- weekday)
period_sums as (
    select as_of_date, measure, product_line, month_of_day, weekday, count(*) as days, sum(amount) as total
    from (
        select filled.*, month(day) as month_of_day, (dayofweek(day) + 5) % 7 + 1 as weekday from filled
    ) as keyed
    group by grouping sets (
        (as_of_date, measure, product_line, month_of_day),
        (as_of_date, measure, product_line, weekday)
    )
),

periods as (
    select
        as_of_date,
        measure,
        product_line,
        case when month_of_day is not null then 'month' else 'weekday' end as period_type,
        coalesce(month_of_day, weekday) as period,
        days,
        cast(total as double) / days as mean_per_day,
        cast(sum(total) over (partition by as_of_date, measure, product_line, month_of_day is null) as double)
            / sum(days) over (partition by as_of_date, measure, product_line, month_of_day is null) as mean_all
    from period_sums
),

final as (
    select
        -- ids
        periods.as_of_date,
        periods.measure,
        periods.product_line,
        periods.period_type,
        cast(periods.period as int) as period,
        case
            when periods.period_type = 'month' then element_at(
                array('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
                      'October', 'November', 'December'), periods.period)
            else element_at(
                array('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'), periods.period)
        end as period_name,
        -- measures
        cast(periods.days as bigint) as days,
        periods.mean_per_day,
        case when periods.mean_all > 0 then periods.mean_per_day / periods.mean_all end as seasonal_index
    from periods
    where (periods.period_type = 'weekday' or periods.days >= :seasonality_min_days)
        and periods.mean_all > 0  -- a series with no data in the year before the date has no profile
)

select * from final
