-- dealer_geo: each dealer's place on each as-of date. The dealer master is the authoritative geography: where
-- it names an active dealer's taluka and district, that is the place; otherwise the place of the dealer's most
-- recent C0-C3 pipeline activity on or before the date. The dealers: those with pipeline activity by then and
-- the active dealers of the master (a dealer that only sells still has a market). location_origin says which.
-- inputs: as_of_dates(as_of_date), customer_pipeline_history, dealers

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

-- each day's last activity is the dealer's place until its next active day
ranges as (
    select
        daily_last.*,
        lead(daily_last.activity_date) over (
            partition by daily_last.dealer_code order by daily_last.activity_date
        ) as next_activity_date
    from daily_last
),

pipeline_geo as (
    select
        dates.as_of_date,
        ranges.dealer_code,
        ranges.taluka,
        ranges.district,
        ranges.state,
        ranges.updated_at
    from dates
    inner join ranges
        on ranges.activity_date <= dates.as_of_date
       and coalesce(ranges.next_activity_date, date'9999-12-31') > dates.as_of_date
),

master as (
    select
        dealer_code,
        taluka,
        district,
        state,
        region
    from dealers
    where coalesce(active, true)
      and taluka is not null
      and district is not null
),

dealer_dates as (
    select as_of_date, dealer_code from pipeline_geo
    union
    select dates.as_of_date, master.dealer_code from dates cross join master
),

final as (
    select
        -- ids
        dealer_dates.as_of_date,
        dealer_dates.dealer_code,
        -- geography: the master's where it has the dealer, else the pipeline's
        case when master.dealer_code is not null then master.taluka else pipeline_geo.taluka end as taluka,
        case when master.dealer_code is not null then master.district else pipeline_geo.district end as district,
        case
            when master.dealer_code is not null then coalesce(master.state, pipeline_geo.state)
            else pipeline_geo.state
        end as state,
        -- dates
        pipeline_geo.updated_at as last_activity_at,
        -- where the place came from
        master.region,
        case when master.dealer_code is not null then 'dealer_master' else 'pipeline' end as location_origin
    from dealer_dates
    left join master
        on dealer_dates.dealer_code = master.dealer_code
    left join pipeline_geo
        on dealer_dates.as_of_date = pipeline_geo.as_of_date and dealer_dates.dealer_code = pipeline_geo.dealer_code
)

select * from final
