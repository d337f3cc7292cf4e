-- win_rate_counts: per as-of date, trailing window (win_rate.windows) and segment: the closed deals that count
-- in a win rate and the won ones, in the window and in its prior window, with the won value and cycle days.
-- win_rate_by_segment adds the rates, intervals, shrinkage and change; the driver alerts read it for their
-- trailing dates. Staged: computed once per run.
-- Sums over a window are differences of running totals per segment (three look-ups per date and window
-- instead of a scan of every day); deals closed in the window but known only after the date
-- (a backdated closed date) are taken out again, so a date counts only what was known on it. A window is
-- comparable with its prior only when the prior starts :warmup_days after the first enquiry in the data.
-- inputs: win_rate_daily, as_of_dates; parameters :win_rate_windows, :warmup_days

with

daily as (
    select * from win_rate_daily
),

windows as (
    select
        cast(split(spec, ':')[0] as int) as window_days,
        cast(split(spec, ':')[1] as int) as prior_days
    from (select explode(split(:win_rate_windows, ',')) as spec) as specs
),

frames as (
    select
        as_of_dates.as_of_date,
        windows.window_days,
        windows.prior_days,
        date_sub(as_of_dates.as_of_date, windows.window_days - 1) as window_start,
        date_sub(as_of_dates.as_of_date, windows.window_days + windows.prior_days - 1) as prior_start
    from as_of_dates
    cross join windows
),

per_day as (
    -- one row per segment and closed date (whatever the date each closing was known)
    select
        dimension,
        segment,
        closed_date,
        max_by(parent_dimension, known_date) as parent_dimension,
        max_by(parent_segment, known_date) as parent_segment,
        max_by(state, known_date) as state,
        max_by(district, known_date) as district,
        min(data_start_date) as data_start_date,
        sum(closed) as closed,
        sum(won) as won,
        sum(won_value) as won_value,
        sum(won_with_value) as won_with_value,
        sum(won_cycle_days) as won_cycle_days
    from daily
    group by dimension, segment, closed_date
),

running as (
    -- running totals through each closed date of a segment, valid until its next closed date: the total
    -- through any day is the row whose range holds it
    select
        per_day.dimension,
        per_day.segment,
        per_day.closed_date as valid_from,
        coalesce(lead(per_day.closed_date) over day_order, date'9999-12-31') as valid_until,
        per_day.parent_dimension,
        per_day.parent_segment,
        per_day.state,
        per_day.district,
        per_day.data_start_date,
        sum(per_day.closed) over running_order as closed,
        sum(per_day.won) over running_order as won,
        sum(coalesce(per_day.won_value, 0.0D)) over running_order as won_value,
        sum(per_day.won_with_value) over running_order as won_with_value,
        sum(coalesce(per_day.won_cycle_days, 0)) over running_order as won_cycle_days
    from per_day
    window
        day_order as (partition by per_day.dimension, per_day.segment order by per_day.closed_date),
        running_order as (
            partition by per_day.dimension, per_day.segment order by per_day.closed_date
            rows between unbounded preceding and current row
        )
),

late as (
    -- closings inside a frame but known only after its as-of date: taken out of that date's counts
    select
        frames.as_of_date,
        frames.window_days,
        daily.dimension,
        daily.segment,
        sum(case when daily.closed_date >= frames.window_start then daily.closed else 0 end) as closed,
        sum(case when daily.closed_date >= frames.window_start then daily.won else 0 end) as won,
        sum(case when daily.closed_date < frames.window_start then daily.closed else 0 end) as prior_closed,
        sum(case when daily.closed_date < frames.window_start then daily.won else 0 end) as prior_won,
        sum(case when daily.closed_date >= frames.window_start then daily.won_value else 0.0D end) as won_value,
        sum(case when daily.closed_date >= frames.window_start then daily.won_with_value else 0 end)
            as won_with_value,
        sum(case when daily.closed_date >= frames.window_start then daily.won_cycle_days else 0 end)
            as won_cycle_days,
        sum(case when daily.closed_date < frames.window_start then daily.won_value else 0.0D end) as prior_won_value,
        sum(case when daily.closed_date < frames.window_start then daily.won_with_value else 0 end)
            as prior_won_with_value,
        sum(case when daily.closed_date < frames.window_start then daily.won_cycle_days else 0 end)
            as prior_won_cycle_days
    from frames
    inner join daily
        on daily.closed_date between frames.prior_start and frames.as_of_date
        and daily.known_date > frames.as_of_date
    group by frames.as_of_date, frames.window_days, daily.dimension, daily.segment
),

points as (
    -- the running totals each date and window needs: through the date, and through the day before the
    -- window and the day before its prior window
    select frames.*, 'now' as point, frames.as_of_date as day from frames
    union all
    select frames.*, 'window_edge' as point, date_sub(frames.window_start, 1) as day from frames
    union all
    select frames.*, 'prior_edge' as point, date_sub(frames.prior_start, 1) as day from frames
),

looked_up as (
    select
        points.as_of_date,
        points.window_days,
        points.prior_days,
        points.prior_start,
        running.dimension,
        running.segment,
        max(case when points.point = 'now' then running.parent_dimension end) as parent_dimension,
        max(case when points.point = 'now' then running.parent_segment end) as parent_segment,
        max(case when points.point = 'now' then running.state end) as state,
        max(case when points.point = 'now' then running.district end) as district,
        min(running.data_start_date) as data_start_date,
        sum(case points.point when 'now' then running.closed when 'window_edge' then -running.closed else 0 end)
            as closed,
        sum(case points.point when 'now' then running.won when 'window_edge' then -running.won else 0 end) as won,
        sum(case points.point when 'window_edge' then running.closed when 'prior_edge' then -running.closed else 0 end)
            as prior_closed,
        sum(case points.point when 'window_edge' then running.won when 'prior_edge' then -running.won else 0 end)
            as prior_won,
        sum(case points.point when 'now' then running.won_value when 'window_edge' then -running.won_value
            else 0.0D end) as won_value,
        sum(case points.point when 'now' then running.won_with_value when 'window_edge' then -running.won_with_value
            else 0 end) as won_with_value,
        sum(case points.point when 'now' then running.won_cycle_days when 'window_edge' then -running.won_cycle_days
            else 0 end) as won_cycle_days,
        sum(case points.point when 'window_edge' then running.won_value when 'prior_edge' then -running.won_value
            else 0.0D end) as prior_won_value,
        sum(case points.point when 'window_edge' then running.won_with_value
            when 'prior_edge' then -running.won_with_value else 0 end) as prior_won_with_value,
        sum(case points.point when 'window_edge' then running.won_cycle_days
            when 'prior_edge' then -running.won_cycle_days else 0 end) as prior_won_cycle_days
    from points
    inner join running
        on running.valid_from <= points.day
        and points.day < running.valid_until
    group by points.as_of_date, points.window_days, points.prior_days, points.prior_start, running.dimension,
        running.segment
),

final as (
    select
        -- ids
        looked_up.as_of_date,
        looked_up.window_days,
        looked_up.prior_days,
        looked_up.dimension,
        looked_up.segment,
        looked_up.parent_dimension,
        looked_up.parent_segment,
        looked_up.state,
        looked_up.district,
        looked_up.prior_start >= date_add(looked_up.data_start_date, :warmup_days) as is_comparable,
        -- measures, less what was not known yet
        looked_up.closed - coalesce(late.closed, 0) as closed,
        looked_up.won - coalesce(late.won, 0) as won,
        looked_up.prior_closed - coalesce(late.prior_closed, 0) as prior_closed,
        looked_up.prior_won - coalesce(late.prior_won, 0) as prior_won,
        looked_up.won_value - coalesce(late.won_value, 0) as won_value,
        looked_up.won_with_value - coalesce(late.won_with_value, 0) as won_with_value,
        looked_up.won_cycle_days - coalesce(late.won_cycle_days, 0) as won_cycle_days,
        looked_up.prior_won_value - coalesce(late.prior_won_value, 0) as prior_won_value,
        looked_up.prior_won_with_value - coalesce(late.prior_won_with_value, 0) as prior_won_with_value,
        looked_up.prior_won_cycle_days - coalesce(late.prior_won_cycle_days, 0) as prior_won_cycle_days
    from looked_up
    left join late
        on late.as_of_date = looked_up.as_of_date
        and late.window_days = looked_up.window_days
        and late.dimension = looked_up.dimension
        and late.segment = looked_up.segment
    where looked_up.closed + looked_up.prior_closed > 0
)

select * from final
