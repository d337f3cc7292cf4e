-- dealer_geo: latest taluka, district and state per dealer, from its most recent C0-C3 pipeline activity
-- on or before each as-of date.
-- inputs: as_of_dates(as_of_date), customer_pipeline_history

with

dates as (
    select as_of_date from as_of_dates
),

activity as (
    select
        -- ids
        dealer_code,
        -- geography
        taluka,
        district,
        state,
        -- dates
        updated_at,
        to_date(updated_at) as activity_date
    from customer_pipeline_history
    where stage in ('C0', 'C1', 'C2', 'C3')
      and to_date(updated_at) <= (select max(as_of_date) from dates)
),

-- the last activity of each dealer per day keeps the range join below small
daily_last as (
    select *
    from (
        select
            activity.*,
            row_number() over (
                partition by dealer_code, activity_date order by updated_at desc, taluka, district, state
            ) as day_rank
        from activity
    ) as ranked
    where day_rank = 1
),

latest as (
    select
        dates.as_of_date,
        daily_last.dealer_code,
        daily_last.taluka,
        daily_last.district,
        daily_last.state,
        daily_last.updated_at,
        row_number() over (
            partition by dates.as_of_date, daily_last.dealer_code
            order by daily_last.updated_at desc, daily_last.taluka, daily_last.district, daily_last.state
        ) as recency_rank
    from dates
    inner join daily_last
        on daily_last.activity_date <= dates.as_of_date
),

final as (
    select
        as_of_date,
        dealer_code,
        taluka,
        district,
        state,
        updated_at as last_activity_at
    from latest
    where recency_rank = 1
)

select * from final
