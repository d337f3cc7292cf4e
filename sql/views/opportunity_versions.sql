-- opportunity_versions: every version of the opportunities created in the run's reach, with the days it was the
-- known state. The version as known at the end of day d is the one with known_from_date <= d < known_until_date:
-- the last version updated on or before d (a later version on the same day supersedes it: an empty range).
-- Every gold table that needs "the opportunity as it was known on the as-of date" joins this view on that
-- range, so they all mean the same thing by it.
-- inputs: customer_pipeline_history, as_of_dates; parameter :version_lookback_days (the longest look back of a
-- reader: two windows for lead counts, max_open_age_days for scores)

with

bounds as (
    select
        date_sub(min(as_of_date), :version_lookback_days) as first_created_date,
        max(as_of_date) as last_created_date
    from as_of_dates
),

versions as (
    select history.*
    from customer_pipeline_history as history
    cross join bounds
    where history.created_date between bounds.first_created_date and bounds.last_created_date
      and history.updated_at is not null
),

ranged as (
    select
        versions.*,
        to_date(versions.updated_at) as known_from_date,
        lead(to_date(versions.updated_at)) over (
            partition by versions.opty_id order by versions.updated_at
        ) as next_version_date
    from versions
),

final as (
    select
        ranged.*,
        coalesce(ranged.next_version_date, date'9999-12-31') as known_until_date
    from ranged
)

select * from final
