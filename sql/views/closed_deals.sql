-- closed_deals: every opportunity that closed (Won or Lost) within the run's reach, as it was when it closed,
-- one row per opportunity. Every win-rate table reads it, so they all mean the same thing by a closed deal.
-- A deal's closing is its first version with status Won or Lost (the earliest update; ties: the earliest
-- delivery); its closed date is the export's closed_date (or the day of that version when the export has
-- none), never later than the day the closing was known. The stage it reached and the day it entered each
-- stage come from its versions before the closing.
-- A deal's region is its dealer's in the dealer master, else the one conf gives its state.
-- inputs: customer_pipeline_history, dealers, as_of_dates; parameters :closed_lookback_days (the longest look back
-- of a reader), :min_stage_rank (win_rate.min_stage: 0 = C0 ... 3 = C3), :state_regions, :default_region

with

bounds as (
    select
        date_sub(min(as_of_date), :closed_lookback_days) as first_closed_date,
        max(as_of_date) as last_known_date
    from as_of_dates
),

known as (
    -- versions known by the last as-of date, of deals created within twice the look back
    select history.*
    from customer_pipeline_history as history
    cross join bounds
    where history.updated_at is not null
      and to_date(history.updated_at) <= bounds.last_known_date
      and history.created_date >= date_sub(bounds.first_closed_date, :closed_lookback_days)
),

closing_versions as (
    -- each deal's first Won or Lost version (ties: the earliest delivery)
    select ranked.*
    from (
        select
            known.*,
            row_number() over (partition by known.opty_id order by known.updated_at, known.ingested_at) as version_n
        from known
        where known.status in ('Won', 'Lost')
    ) as ranked
    where ranked.version_n = 1
),

stage_times as (
    -- when each deal was first seen at or past C1, C2 and C3, and the first enquiry in the data (a pipeline
    -- that starts empty closes its quick deals first: warmup); when the data began before the look back, its
    -- start reads as the look back's, early enough for every window
    select
        known.opty_id,
        min(case when known.stage in ('C1', 'C2', 'C3') then known.updated_at end) as c1_at,
        min(case when known.stage in ('C2', 'C3') then known.updated_at end) as c2_at,
        min(case when known.stage = 'C3' then known.updated_at end) as c3_at,
        min(min(known.created_date)) over () as data_start_date
    from known
    group by known.opty_id
),

closings as (
    select
        closing_versions.*,
        to_date(closing_versions.updated_at) as known_date,
        least(coalesce(closing_versions.closed_date, to_date(closing_versions.updated_at)),
            to_date(closing_versions.updated_at)) as closing_date,
        stage_times.data_start_date,
        case when stage_times.c1_at < closing_versions.updated_at then to_date(stage_times.c1_at) end as c1_date,
        case when stage_times.c2_at < closing_versions.updated_at then to_date(stage_times.c2_at) end as c2_date,
        case when stage_times.c3_at < closing_versions.updated_at then to_date(stage_times.c3_at) end as c3_date
    from closing_versions
    inner join stage_times
        on stage_times.opty_id = closing_versions.opty_id
),

final as (
    select
        -- ids
        closings.opty_id,
        closings.dealer_code,
        closings.rep_id,
        -- where and what
        closings.state,
        closings.district,
        coalesce(
            dealers.region, element_at(str_to_map(:state_regions, ';', '='), closings.state), :default_region
        ) as region,
        closings.product_line,
        closings.lead_source,
        closings.customer_type,
        closings.opty_category,
        -- dates
        closings.created_date,
        closings.closing_date as closed_date,
        closings.known_date,
        closings.c1_date,
        closings.c2_date,
        closings.c3_date,
        closings.data_start_date,
        -- outcome: a won deal reached every stage; a lost one the furthest open stage it was seen in
        closings.status = 'Won' as is_won,
        case
            when closings.status = 'Won' then 4
            when closings.c3_date is not null then 3
            when closings.c2_date is not null then 2
            when closings.c1_date is not null then 1
            else 0
        end as stage_reached,
        closings.status = 'Won' or :min_stage_rank = 0
            or (:min_stage_rank = 1 and closings.c1_date is not null)
            or (:min_stage_rank = 2 and closings.c2_date is not null)
            or (:min_stage_rank = 3 and closings.c3_date is not null) as is_counted,
        -- (datediff is a bigint on Sail, an int on Spark)
        cast(datediff(closings.closing_date, closings.created_date) as int) as cycle_days,
        closings.deal_value,
        closings.lost_reason,
        closings.competitor,
        closings.closed_date is not null as has_closed_date
    from closings
    cross join bounds
    left join dealers
        on closings.dealer_code = dealers.dealer_code
    where closings.closing_date >= bounds.first_closed_date
)

select * from final
