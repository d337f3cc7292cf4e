-- dealer_stock: total and saleable stock from each dealer's latest snapshot on or before the as-of date,
-- looking back at most :stock_lookback_days days (an older snapshot is not current stock).
-- inputs: as_of_dates, stock (silver); parameter :stock_lookback_days

with

dates as (
    select as_of_date from as_of_dates
),

bounds as (
    select
        date_sub(min(as_of_date), :stock_lookback_days) as first_snapshot_date,
        max(as_of_date) as last_snapshot_date
    from dates
),

snapshots as (
    select
        stock.dealer_code,
        stock.snapshot_date,
        sum(stock.total_stock) as total_stock,
        sum(stock.saleable_stock) as saleable_stock
    from stock
    cross join bounds
    where stock.snapshot_date between bounds.first_snapshot_date and bounds.last_snapshot_date
    group by stock.dealer_code, stock.snapshot_date
),

ranked as (
    select
        dates.as_of_date,
        snapshots.*,
        row_number() over (
            partition by dates.as_of_date, snapshots.dealer_code order by snapshots.snapshot_date desc
        ) as recency_rank
    from snapshots
    inner join dates
        on snapshots.snapshot_date between date_sub(dates.as_of_date, :stock_lookback_days) and dates.as_of_date
),

final as (
    select
        -- ids
        as_of_date,
        dealer_code,
        -- dates
        snapshot_date,
        -- measures
        cast(total_stock as bigint) as total_stock,
        cast(saleable_stock as bigint) as saleable_stock
    from ranked
    where recency_rank = 1
)

select * from final
