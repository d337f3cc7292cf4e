-- product_abc: ABC classes by invoice value over the last :abc_days days, per product line and per dealer x
-- product line. Items in order of value: A while the value before an item is below :abc_a_share of the total,
-- B below :abc_a_share + :abc_b_share, C after. Retail without an invoice value is left out (no value: no rows).
-- inputs: retail, dealer_geo, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

bounds as (
    select date_sub(min(as_of_date), :abc_days - 1) as first_day, max(as_of_date) as last_day from dates
),

sales as (
    select retail.dealer_code, retail.product_line, retail.retail_date, retail.units, retail.value
    from retail
    cross join bounds
    where retail.retail_date between bounds.first_day and bounds.last_day
      and retail.value is not null
),

windowed as (
    select dates.as_of_date, sales.*
    from sales
    inner join dates
        on sales.retail_date between date_sub(dates.as_of_date, :abc_days - 1) and dates.as_of_date
),

items as (
    select
        as_of_date,
        'product_line' as dimension,
        product_line as item,
        cast(null as string) as dealer_code,
        product_line,
        sum(value) as value,
        sum(units) as units
    from windowed
    group by as_of_date, product_line
    union all
    select
        as_of_date,
        'dealer_product_line',
        concat(dealer_code, ' ', product_line),
        dealer_code,
        product_line,
        sum(value),
        sum(units)
    from windowed
    group by as_of_date, dealer_code, product_line
),

ranked as (
    select
        items.*,
        sum(value) over (partition by as_of_date, dimension) as total_value,
        sum(value) over (
            partition by as_of_date, dimension order by value desc, item
            rows between unbounded preceding and current row
        ) as running_value,
        row_number() over (partition by as_of_date, dimension order by value desc, item) as value_rank
    from items
),

final as (
    select
        -- ids
        ranked.as_of_date,
        ranked.dimension,
        ranked.item,
        ranked.dealer_code,
        ranked.product_line,
        dealer_geo.district,
        dealer_geo.state,
        -- measures
        ranked.value,
        cast(ranked.units as bigint) as units,
        ranked.value / ranked.total_value as share,
        ranked.running_value / ranked.total_value as cumulative_share,
        case
            -- a hair below the bounds, so that a share of exactly 0.80 + 0.15 is not B by a rounding error
            when (ranked.running_value - ranked.value) / ranked.total_value < :abc_a_share - 1e-9D then 'A'
            when (ranked.running_value - ranked.value) / ranked.total_value
                < :abc_a_share + :abc_b_share - 1e-9D then 'B'
            else 'C'
        end as abc_class,
        cast(ranked.value_rank as int) as rank
    from ranked
    left join dealer_geo
        on ranked.as_of_date = dealer_geo.as_of_date
        and ranked.dealer_code = dealer_geo.dealer_code
    where ranked.total_value > 0
)

select * from final
