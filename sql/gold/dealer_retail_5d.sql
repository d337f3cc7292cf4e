-- dealer_retail_5d: retail units in the current window vs the previous window.
-- inputs: as_of_dates, retail (silver); parameter :window_days

with

dates as (
    select as_of_date from as_of_dates
),

bounds as (
    select
        date_sub(min(as_of_date), 2 * :window_days - 1) as first_retail_date,
        max(as_of_date) as last_retail_date
    from dates
),

sales as (
    select
        retail.dealer_code,
        retail.retail_date,
        retail.units
    from retail
    cross join bounds
    where retail.retail_date between bounds.first_retail_date and bounds.last_retail_date
),

windowed as (
    select
        dates.as_of_date,
        sales.dealer_code,
        sales.units,
        sales.retail_date > date_sub(dates.as_of_date, :window_days) as is_current
    from sales
    inner join dates
        on sales.retail_date between date_sub(dates.as_of_date, 2 * :window_days - 1) and dates.as_of_date
),

counts as (
    select
        as_of_date,
        dealer_code,
        sum(case when is_current then units else 0 end) as retail_cur,
        sum(case when not is_current then units else 0 end) as retail_prev
    from windowed
    group by as_of_date, dealer_code
),

final as (
    select
        -- ids
        as_of_date,
        dealer_code,
        -- measures
        cast(retail_cur as bigint) as retail_cur,
        cast(retail_prev as bigint) as retail_prev,
        cast((retail_cur - retail_prev) as double) / greatest(retail_prev, 1) as retail_growth
    from counts
)

select * from final
