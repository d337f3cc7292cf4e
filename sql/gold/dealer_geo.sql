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

-- the days each dealer was active; the last of them on or before a date places the dealer on that date
active_days as (
    select
        dealer_code,
        activity_date,
        lead(activity_date) over (partition by dealer_code order by activity_date) as next_activity_date
    from (select distinct dealer_code, activity_date from activity) as days
),

chosen_days as (
    select
        dates.as_of_date,
        active_days.dealer_code,
        active_days.activity_date
    from dates
    inner join active_days
        on active_days.activity_date <= dates.as_of_date
       and coalesce(active_days.next_activity_date, date'9999-12-31') > dates.as_of_date
),

-- that day's last activity (ties: by place), ranked among that day's rows only
latest as (
    select
        chosen_days.as_of_date,
        activity.dealer_code,
        activity.taluka,
        activity.district,
        activity.state,
        activity.updated_at,
        row_number() over (
            partition by chosen_days.as_of_date, activity.dealer_code
            order by activity.updated_at desc, activity.taluka, activity.district, activity.state
        ) as recency_rank
    from chosen_days
    inner join activity
        on activity.dealer_code = chosen_days.dealer_code
       and activity.activity_date = chosen_days.activity_date
),

pipeline_geo as (
    select as_of_date, dealer_code, taluka, district, state, updated_at from latest where recency_rank = 1
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
