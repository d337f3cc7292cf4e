-- win_rate_driver_alerts: the drivers of win-rate movement as plain sentences with their numbers, ranked by
-- impact (deals lost), one row per active driver and date, with the start of its episode.
-- gold/win_rate_driver_alerts.py runs this over the trailing dates of each as-of date (as_of_dates holds them,
-- and the tables it reads were computed for them), so an episode's start is the same whatever order the dates
-- are run in; it keeps the rows of the run's dates.
--
-- Five kinds (thresholds in conf win_rate.alerts):
--   drop          a segment's win rate over the last :drop_window_days days fell against its prior window by at
--                 least :drop_min_points points, and by as much more than its parent's change, :drop_min_z
--                 standard errors beyond it (a fall every segment shares, such as a mix shift, is the parent's
--                 story), both windows with at least :min_closed_deals deals and past the data's warm-up; a
--                 segment whose parent dropped too is told by the parent's sentence
--   below_parent  a segment's 90% interval lies :level_min_points points or more below its parent's rate
--   competitor    a product line in a district loses to one competitor far more than it does elsewhere
--   erratic       a consultant's weekly win rate varies far more than chance explains (rep_consistency)
--   mix           the win rate fell, and mix in one dimension pulled it down by :mix_min_points points or more,
--                 :mix_min_z standard errors beyond what chance moves in the shares (whatever the rest did)
-- An episode: the dates on which an alert holds, quiet spells of up to :episode_gap_days days included, traced
-- back :alert_lookback_days days at most (an older start reads as that day).
-- inputs: win_rate_by_segment, win_rate_change_decomposition, rep_consistency, closed_deals, as_of_dates
-- parameters: see conf/base/pipeline.yaml, win_rate.alerts

with

segments as (
    select * from win_rate_by_segment
),

decomposition as (
    select * from win_rate_change_decomposition
),

consistency as (
    select * from rep_consistency
),

labelled as (
    select
        segments.*,
        case segments.dimension
            when 'overall' then 'overall'
            when 'region' then concat('region ', segments.segment)
            when 'district' then concat('district ', segments.segment)
            when 'dealer' then concat('dealer ', segments.segment)
            when 'rep' then concat('consultant ', segments.segment)
            when 'product_line' then concat('product line ', segments.segment)
            when 'lead_source' then concat('lead source ', segments.segment)
            when 'customer_type' then concat('customer type ', segments.segment)
            else concat('enquiry type ', segments.segment)
        end as label,
        case segments.parent_dimension
            when 'overall' then 'overall'
            when 'region' then concat('in region ', segments.parent_segment)
            when 'district' then concat('in district ', segments.parent_segment)
            else concat('at dealer ', segments.parent_segment)
        end as parent_label
    from segments
),

drop_candidates as (
    select * from labelled
    where window_days = :drop_window_days
      and array_contains(split(:drop_dimensions, ','), dimension)
      and is_comparable
      and closed >= :min_closed_deals
      and prior_closed >= :min_closed_deals
      and change_points <= -:drop_min_points
      and change_points - coalesce(parent_change_points, 0) <= -:drop_min_points
      and change_z * (change_points - coalesce(parent_change_points, 0)) / change_points <= -:drop_min_z
),

drops as (
    -- a segment whose parent dropped the same day is told by the parent's alert
    select
        drop_candidates.as_of_date,
        'drop' as kind,
        drop_candidates.dimension,
        drop_candidates.segment,
        drop_candidates.state,
        drop_candidates.district,
        cast(null as string) as competitor,
        drop_candidates.win_rate as rate,
        drop_candidates.prior_win_rate as baseline_rate,
        drop_candidates.closed,
        drop_candidates.change_z as z,
        drop_candidates.closed * (drop_candidates.prior_win_rate - drop_candidates.win_rate) as impact_deals,
        drop_candidates.closed * (drop_candidates.prior_win_rate - drop_candidates.win_rate)
            * coalesce(drop_candidates.prior_avg_deal_value, drop_candidates.avg_deal_value) as impact_value,
        concat(
            'Win rate fell ', cast(round(-drop_candidates.change_points) as int), ' points for ',
            drop_candidates.label, ': ', cast(round(100 * drop_candidates.prior_win_rate) as int), '% to ',
            cast(round(100 * drop_candidates.win_rate) as int), '% on ', format_number(drop_candidates.closed, 0),
            ' closed deals in the last ', drop_candidates.window_days, ' days (',
            format_number(drop_candidates.prior_closed, 0), ' in the ', drop_candidates.prior_days, ' days before)',
            case
                when drop_candidates.parent_change_points is null then ', '
                else concat(
                    '; ', drop_candidates.parent_label, ' ',
                    case when drop_candidates.parent_change_points < 0 then '-' else '+' end,
                    cast(round(abs(drop_candidates.parent_change_points)) as int), ' points, '
                )
            end,
            case
                when drop_candidates.prob_decline >= 0.995D then 'over 99% sure.'
                else concat(cast(floor(100 * drop_candidates.prob_decline) as int), '% sure.')
            end
        ) as sentence
    from drop_candidates
    left anti join drop_candidates as parents
        on parents.as_of_date = drop_candidates.as_of_date
        and parents.dimension = drop_candidates.parent_dimension
        and parents.segment = drop_candidates.parent_segment
),

levels as (
    select
        as_of_date,
        'below_parent' as kind,
        dimension,
        segment,
        state,
        district,
        cast(null as string) as competitor,
        win_rate as rate,
        parent_win_rate as baseline_rate,
        closed,
        (win_rate - parent_win_rate) / nullif(sqrt(parent_win_rate * (1 - parent_win_rate) / nullif(closed, 0)), 0) as z,
        closed * (parent_win_rate - win_rate) as impact_deals,
        closed * (parent_win_rate - win_rate) * avg_deal_value as impact_value,
        concat(
            upper(substr(label, 1, 1)), substr(label, 2), ' converts ', cast(round(100 * win_rate) as int),
            '% against ', cast(round(100 * parent_win_rate) as int), '% ', parent_label, ': ',
            format_number(won, 0), ' won of ', format_number(closed, 0), ' closed deals in the last ', window_days,
            ' days (90% interval ', cast(round(100 * win_rate_low) as int), '-',
            cast(round(100 * win_rate_high) as int), '%).'
        ) as sentence
    from labelled
    where window_days = :level_window_days
      and array_contains(split(:level_dimensions, ','), dimension)
      and closed >= :min_closed_deals
      and parent_win_rate is not null
      and 100 * (parent_win_rate - win_rate_high) >= :level_min_points
),

lost as (
    select * from closed_deals
    where is_counted
      and not is_won
),

competitor_frames as (
    select
        as_of_date,
        date_sub(as_of_date, :competitor_window_days - 1) as window_start,
        date_sub(as_of_date, :competitor_baseline_days - 1) as baseline_start
    from as_of_dates
),

competitor_counts as (
    -- per date, district and product line: losses in the window and the baseline, to each competitor and all
    select
        competitor_frames.as_of_date,
        lost.state,
        lost.district,
        lost.product_line,
        coalesce(lost.competitor, '') as competitor,
        count_if(lost.closed_date >= competitor_frames.window_start) as losses,
        count_if(lost.closed_date >= competitor_frames.baseline_start) as baseline_losses
    from competitor_frames
    inner join lost
        on lost.closed_date between least(competitor_frames.window_start, competitor_frames.baseline_start)
            and competitor_frames.as_of_date
        and lost.known_date <= competitor_frames.as_of_date
    group by competitor_frames.as_of_date, lost.state, lost.district, lost.product_line,
        coalesce(lost.competitor, '')
),

competitor_shares as (
    select
        competitor_counts.*,
        sum(losses) over (partition by as_of_date, state, district, product_line) as cell_losses,
        sum(baseline_losses) over (partition by as_of_date, state, district, product_line) as cell_baseline,
        sum(baseline_losses) over (partition by as_of_date, product_line, competitor) as product_competitor_baseline,
        sum(baseline_losses) over (partition by as_of_date, product_line) as product_baseline
    from competitor_counts
),

competitor_tested as (
    select
        counted.*,
        (counted.share + counted.z2 / (2 * counted.n)
            - sqrt(counted.z2) * sqrt(counted.share * (1 - counted.share) / counted.n + counted.z2 / (4 * counted.n * counted.n)))
            / (1 + counted.z2 / counted.n) as share_low
    from (
        select
            competitor_shares.*,
            cast(nullif(competitor_shares.cell_losses, 0) as double) as n,
            cast(competitor_shares.losses as double) / nullif(competitor_shares.cell_losses, 0) as share,
            cast(competitor_shares.product_competitor_baseline - competitor_shares.baseline_losses as double)
                / nullif(competitor_shares.product_baseline - competitor_shares.cell_baseline, 0) as elsewhere_share,
            cast(:competitor_z as double) * :competitor_z as z2
        from competitor_shares
        where competitor_shares.competitor <> ''
          and competitor_shares.losses >= :competitor_min_losses
    ) as counted
),

competitors as (
    select
        as_of_date,
        'competitor' as kind,
        'product_line_in_district' as dimension,
        concat(product_line, ' in ', district, ', ', state) as segment,
        state,
        district,
        competitor,
        share as rate,
        elsewhere_share as baseline_rate,
        cell_losses as closed,
        (losses - cell_losses * elsewhere_share)
            / nullif(sqrt(cell_losses * elsewhere_share * (1 - elsewhere_share)), 0) as z,
        losses - cell_losses * coalesce(elsewhere_share, 0) as impact_deals,
        cast(null as double) as impact_value,
        concat(
            product_line, ' loses to ', competitor, ' in ', district, ', ', state, ': ', losses, ' of ',
            cell_losses, ' losses in the last ', :competitor_window_days, ' days (', cast(round(100 * share) as int),
            '%), against ', cast(round(100 * coalesce(elsewhere_share, 0)) as int), '% of ', product_line,
            ' losses in the other districts.'
        ) as sentence
    from competitor_tested
    where share_low >= :competitor_min_ratio * coalesce(elsewhere_share, 0)
),

erratic as (
    select
        as_of_date,
        'erratic' as kind,
        'rep' as dimension,
        rep_id as segment,
        state,
        district,
        cast(null as string) as competitor,
        win_rate as rate,
        cast(null as double) as baseline_rate,
        closed,
        dispersion as z,
        shortfall_deals as impact_deals,
        cast(null as double) as impact_value,
        concat(
            'Consultant ', rep_id, ' (dealer ', dealer_code, ') is erratic: weekly win rate swung between ',
            cast(round(100 * weekly_rate_min) as int), '% and ', cast(round(100 * weekly_rate_max) as int),
            '% over ', weeks, ' weeks on ', format_number(closed, 0), ' closed deals (', won,
            ' won), consistency index ', cast(round(consistency_index) as int), ' of 100.'
        ) as sentence
    from consistency
    where is_erratic
),

mix_dimensions as (
    select * from decomposition
    where window_days = :mix_window_days
      and is_comparable
      and total_change < 0
      and 100 * total_mix <= -:mix_min_points
      and total_mix_z <= -:mix_min_z
),

mix_drivers as (
    -- the segment whose growing share pulled the rate down most names the alert
    select
        mix_dimensions.*,
        row_number() over (
            partition by mix_dimensions.as_of_date, mix_dimensions.dimension
            order by mix_dimensions.mix_effect, mix_dimensions.segment
        ) as driver_rank
    from mix_dimensions
),

mix as (
    select
        as_of_date,
        'mix' as kind,
        dimension,
        segment,
        cast(null as string) as state,
        cast(null as string) as district,
        cast(null as string) as competitor,
        total_win_rate as rate,
        total_prior_win_rate as baseline_rate,
        total_closed as closed,
        total_mix_z as z,
        -total_mix * total_closed as impact_deals,
        cast(null as double) as impact_value,
        concat(
            'Win rate fell ', format_number(-100 * total_change, 1), ' points (',
            cast(round(100 * total_prior_win_rate) as int), '% to ', cast(round(100 * total_win_rate) as int), '% on ',
            format_number(total_closed, 0), ' closed deals in the last ', window_days, ' days), and mix, not ',
            'conversion, pulled it down ', format_number(-100 * total_mix, 1), ' points: ',
            replace(dimension, '_', ' '), ' ', segment, ' is ', cast(round(100 * share) as int),
            '% of closed deals (', cast(round(100 * prior_share) as int), '% before) and converts ',
            cast(round(100 * win_rate) as int), '%.'
        ) as sentence
    from mix_drivers
    where driver_rank = 1
),

active as (
    select * from drops
    union all
    select * from levels
    union all
    select * from competitors
    union all
    select * from erratic
    union all
    select * from mix
),

keyed as (
    select
        active.*,
        concat_ws('|', active.kind, active.dimension, active.segment, coalesce(active.competitor, '')) as alert_id
    from active
),

horizon as (
    -- each date sees its own trailing :alert_lookback_days days only, whatever other dates a run holds, so an
    -- episode's start does not depend on which dates ran together
    select
        as_of_dates.as_of_date as output_date,
        keyed.*
    from as_of_dates
    inner join keyed
        on keyed.as_of_date between date_sub(as_of_dates.as_of_date, :alert_lookback_days) and as_of_dates.as_of_date
),

runs as (
    select
        horizon.*,
        case
            when datediff(horizon.as_of_date, lag(horizon.as_of_date) over (
                partition by horizon.output_date, horizon.alert_id order by horizon.as_of_date
            )) <= :episode_gap_days + 1 then 0
            else 1
        end as is_start
    from horizon
),

episodes as (
    select
        runs.*,
        sum(runs.is_start) over (
            partition by runs.output_date, runs.alert_id order by runs.as_of_date
            rows between unbounded preceding and current row
        ) as episode_n
    from runs
),

started as (
    select
        episodes.*,
        min(episodes.as_of_date) over (partition by episodes.output_date, episodes.alert_id, episodes.episode_n)
            as episode_start
    from episodes
),

final as (
    select
        -- ids
        as_of_date,
        alert_id,
        kind,
        dimension,
        segment,
        state,
        district,
        competitor,
        -- what to say
        sentence,
        round(rate, 6) as rate,
        round(baseline_rate, 6) as baseline_rate,
        closed,
        round(z, 4) as z,
        round(impact_deals, 2) as impact_deals,
        round(impact_value, 2) as impact_value,
        cast(row_number() over (partition by as_of_date order by impact_deals desc, alert_id) as int) as rank,
        -- the episode
        episode_start,
        as_of_date = episode_start as is_new,
        cast(datediff(as_of_date, episode_start) + 1 as int) as days_active
    from started
    where as_of_date = output_date
)

select * from final
