-- sales_velocity: how fast each dealer, district, consultant (and the whole network) turns pipeline into
-- sales: open deals x win rate x average deal value / average cycle days (value per day), and without the
-- value (deals per day); now and one window earlier (:velocity_window_days), with the trend.
-- Open deals: seen by the end of the date, not closed by then (as known then), created within
-- :max_open_age_days; counted for the dealer and consultant they were first seen with.
-- Win rate: the segment's shrunk rate over the window (win_rate_by_segment); deal value and cycle: the
-- window's won deals. One window earlier uses that window's open deals, rate, value and cycle.
-- Trend: up or down when the change is at least :velocity_trend_share either way, else flat; none while the
-- earlier window is not comparable yet (win_rate.warmup_days).
-- inputs: win_rate_by_segment, customer_pipeline_history, as_of_dates; parameters :velocity_window_days,
-- :max_open_age_days, :velocity_trend_share

with

rates as (
    select * from win_rate_by_segment
    where window_days = :velocity_window_days
      and dimension in ('overall', 'district', 'dealer', 'rep')
),

points as (
    select as_of_date, as_of_date as point_date, true as is_now from as_of_dates
    union all
    select as_of_date, date_sub(as_of_date, :velocity_window_days) as point_date, false as is_now from as_of_dates
),

bounds as (
    select
        date_sub(min(point_date), :max_open_age_days) as first_created_date,
        max(point_date) as last_date
    from points
),

opportunities as (
    -- each deal's life as known by the last point: created, first seen, when its closing was known, and the
    -- dealer, consultant, place and value it was first seen with (so a point counts only what was known on it)
    select
        history.opty_id,
        min(history.created_date) as created_date,
        min(to_date(history.updated_at)) as first_known_date,
        min(case when history.status in ('Won', 'Lost') then to_date(history.updated_at) end) as closed_known_date,
        min_by(history.dealer_code, history.updated_at) as dealer_code,
        min_by(history.rep_id, history.updated_at) as rep_id,
        min_by(history.district, history.updated_at) as district,
        min_by(history.state, history.updated_at) as state,
        min_by(history.deal_value, history.updated_at) as deal_value
    from customer_pipeline_history as history
    cross join bounds
    where history.created_date between bounds.first_created_date and bounds.last_date
      and history.updated_at is not null
      and to_date(history.updated_at) <= bounds.last_date
    group by history.opty_id
),

open_deals as (
    -- open on a point: seen by then, its closing not known by then, and younger than the open age
    select
        points.as_of_date,
        points.is_now,
        opportunities.*
    from points
    inner join opportunities
        on opportunities.first_known_date <= points.point_date
        and points.point_date < coalesce(opportunities.closed_known_date, date'9999-12-31')
        and opportunities.created_date > date_sub(points.point_date, :max_open_age_days)
),

open_by_dimension as (
    select
        open_deals.as_of_date,
        open_deals.is_now,
        open_deals.deal_value,
        dimensions.dimension,
        dimensions.segment
    from open_deals
    lateral view inline(array(
        named_struct('dimension', 'overall', 'segment', 'All'),
        named_struct('dimension', 'district', 'segment', concat(open_deals.district, ', ', open_deals.state)),
        named_struct('dimension', 'dealer', 'segment', open_deals.dealer_code),
        named_struct('dimension', 'rep', 'segment', open_deals.rep_id)
    )) dimensions  -- (no "as": Sail 0.7.2 cannot resolve a lateral view alias written with it)
),

open_counts as (
    select
        as_of_date,
        dimension,
        segment,
        count_if(is_now) as open_deals,
        sum(case when is_now then deal_value end) as open_value,
        count_if(not is_now) as prior_open_deals
    from open_by_dimension
    where segment is not null
    group by as_of_date, dimension, segment
),

velocity as (
    select
        rates.as_of_date,
        rates.dimension,
        rates.segment,
        rates.state,
        rates.district,
        coalesce(open_counts.open_deals, 0) as open_deals,
        open_counts.open_value,
        rates.win_rate_shrunk as win_rate,
        rates.is_comparable,
        rates.avg_deal_value,
        rates.avg_cycle_days,
        coalesce(open_counts.open_deals, 0) * rates.win_rate_shrunk * rates.avg_deal_value
            / nullif(rates.avg_cycle_days, 0) as value_per_day,
        coalesce(open_counts.open_deals, 0) * rates.win_rate_shrunk / nullif(rates.avg_cycle_days, 0)
            as deals_per_day,
        coalesce(open_counts.prior_open_deals, 0) as prior_open_deals,
        coalesce(open_counts.prior_open_deals, 0) * rates.prior_win_rate_shrunk * rates.prior_avg_deal_value
            / nullif(rates.prior_avg_cycle_days, 0) as prior_value_per_day,
        coalesce(open_counts.prior_open_deals, 0) * rates.prior_win_rate_shrunk
            / nullif(rates.prior_avg_cycle_days, 0) as prior_deals_per_day
    from rates
    left join open_counts
        on open_counts.as_of_date = rates.as_of_date
        and open_counts.dimension = rates.dimension
        and open_counts.segment = rates.segment
),

final as (
    select
        -- ids
        as_of_date,
        dimension,
        segment,
        state,
        district,
        -- the parts
        open_deals,
        round(open_value, 2) as open_value,
        round(win_rate, 6) as win_rate,
        avg_deal_value,
        avg_cycle_days,
        -- velocity now and one window earlier
        round(value_per_day, 2) as value_per_day,
        round(deals_per_day, 4) as deals_per_day,
        prior_open_deals,
        round(prior_value_per_day, 2) as prior_value_per_day,
        round(prior_deals_per_day, 4) as prior_deals_per_day,
        case when is_comparable then round(coalesce(
            value_per_day / nullif(prior_value_per_day, 0), deals_per_day / nullif(prior_deals_per_day, 0)
        ) - 1, 4) end as change,
        case
            when not is_comparable then null
            when coalesce(value_per_day / nullif(prior_value_per_day, 0), deals_per_day / nullif(prior_deals_per_day, 0))
                - 1 >= :velocity_trend_share then 'up'
            when coalesce(value_per_day / nullif(prior_value_per_day, 0), deals_per_day / nullif(prior_deals_per_day, 0))
                - 1 <= -:velocity_trend_share then 'down'
            else 'flat'
        end as trend
    from velocity
)

select * from final
