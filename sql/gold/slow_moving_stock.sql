-- slow_moving_stock: dealer x product line with saleable stock on the as-of date and no sale for at least the
-- first of :slow_moving_days (30, 60, 90); bucket_days is the largest of them reached. A pair that has not sold
-- since the first retail day in the data counts from the day before it. Units tied up are the saleable stock,
-- valued at the product line's average invoice value per unit over the look back (null without values); the
-- stock's age runs from its last receipt where the export has receipt dates.
-- (:slow_moving_reach_days is the look back of the unit values.)
-- inputs: retail, stock, dealer_geo, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

buckets as (
    select cast(days as int) as bucket_days
    from (select explode(split(:slow_moving_days, ',')) as days) as listed
),

bounds as (
    select date_sub(min(as_of_date), :slow_moving_reach_days) as first_day, max(as_of_date) as last_day from dates
),

data_start as (
    select min(retail_date) as first_retail_date from retail
),

sales as (
    select retail.dealer_code, retail.product_line, retail.retail_date, retail.units, retail.value
    from retail
    cross join bounds
    where retail.retail_date between bounds.first_day and bounds.last_day
),

-- a pair's last sale on or before each date, however long ago (the retail table is small beside the others)
last_sales as (
    select dates.as_of_date, retail.dealer_code, retail.product_line, max(retail.retail_date) as last_sale_date
    from retail
    inner join dates
        on retail.retail_date <= dates.as_of_date
    group by dates.as_of_date, retail.dealer_code, retail.product_line
),

unit_values as (
    select
        dates.as_of_date,
        sales.product_line,
        sum(sales.value) / sum(case when sales.value is not null then sales.units end) as value_per_unit
    from sales
    inner join dates
        on sales.retail_date between date_sub(dates.as_of_date, :slow_moving_reach_days) and dates.as_of_date
    group by dates.as_of_date, sales.product_line
),

shelves as (
    select dates.as_of_date, stock.dealer_code, stock.product_line, stock.saleable_stock, stock.last_receipt_date
    from stock
    inner join dates
        on stock.snapshot_date = dates.as_of_date
    where stock.saleable_stock > 0
),

idle as (
    select
        shelves.*,
        last_sales.last_sale_date,
        datediff(
            shelves.as_of_date,
            coalesce(last_sales.last_sale_date, date_sub(data_start.first_retail_date, 1))
        ) as days_without_sale
    from shelves
    cross join data_start
    left join last_sales
        on shelves.as_of_date = last_sales.as_of_date
        and shelves.dealer_code = last_sales.dealer_code
        and shelves.product_line = last_sales.product_line
),

reached as (
    select idle.as_of_date, idle.dealer_code, idle.product_line, max(buckets.bucket_days) as bucket_days
    from idle
    inner join buckets
        on idle.days_without_sale >= buckets.bucket_days
    group by idle.as_of_date, idle.dealer_code, idle.product_line
),

bucketed as (
    select idle.*, reached.bucket_days
    from idle
    inner join reached
        on idle.as_of_date = reached.as_of_date
        and idle.dealer_code = reached.dealer_code
        and idle.product_line = reached.product_line
),

final as (
    select
        -- ids
        bucketed.as_of_date,
        bucketed.dealer_code,
        bucketed.product_line,
        dealer_geo.district,
        dealer_geo.state,
        -- measures
        cast(bucketed.saleable_stock as bigint) as saleable_stock,
        bucketed.last_sale_date,
        cast(bucketed.days_without_sale as int) as days_without_sale,
        cast(bucketed.bucket_days as int) as bucket_days,
        bucketed.last_receipt_date,
        cast(datediff(bucketed.as_of_date, bucketed.last_receipt_date) as int) as stock_age_days,
        cast(bucketed.saleable_stock as bigint) as units_tied_up,
        bucketed.saleable_stock * unit_values.value_per_unit as value_tied_up
    from bucketed
    left join unit_values
        on bucketed.as_of_date = unit_values.as_of_date
        and bucketed.product_line = unit_values.product_line
    left join dealer_geo
        on bucketed.as_of_date = dealer_geo.as_of_date
        and bucketed.dealer_code = dealer_geo.dealer_code
)

select * from final
