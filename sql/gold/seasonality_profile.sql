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

daily as (
    select 'leads' as measure, product_line, day, amount from lead_days
    union all
    select 'leads', 'All', day, sum(amount) from lead_days group by day
    union all
    select 'retail_units', product_line, day, amount from sale_days
    union all
    select 'retail_units', 'All', day, sum(amount) from sale_days group by day
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
    select measure, product_line, first_day from first_days
    union all
    select measure, 'All', min(first_day) from first_days group by measure
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

overall as (
    select as_of_date, measure, product_line, avg(amount) as mean_all
    from filled
    group by as_of_date, measure, product_line
),

periods as (
    select as_of_date, measure, product_line, 'month' as period_type, month(day) as period, count(*) as days,
           avg(amount) as mean_per_day
    from filled
    group by as_of_date, measure, product_line, month(day)
    union all
    select as_of_date, measure, product_line, 'weekday', (dayofweek(day) + 5) % 7 + 1, count(*), avg(amount)
    from filled
    group by as_of_date, measure, product_line, (dayofweek(day) + 5) % 7 + 1
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
        case when overall.mean_all > 0 then periods.mean_per_day / overall.mean_all end as seasonal_index
    from periods
    inner join overall
        on periods.as_of_date = overall.as_of_date
        and periods.measure = overall.measure
        and periods.product_line = overall.product_line
    where (periods.period_type = 'weekday' or periods.days >= :seasonality_min_days)
        and overall.mean_all > 0  -- a series with no data in the year before the date has no profile
)

select * from final
