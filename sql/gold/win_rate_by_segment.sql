-- win_rate_by_segment: per as-of date, trailing window (win_rate.windows) and segment of every dimension
-- (overall, region, district, dealer, rep, product line, lead source, customer type, enquiry type): the closed
-- deals that count, won, the win rate with its Wilson interval, the rate shrunk toward the parent segment, and
-- the change against the prior window with how sure it is.
--
-- Shrinkage (empirical Bayes): a segment's prior is its parent's rate worth m closed deals, m estimated per
-- as-of date, window and dimension by the method of moments from how much more the segments' counts vary
-- around their parents' rates than binomial chance explains (rho, the intra-segment correlation: m = 1/rho - 1),
-- kept within [:prior_deals_min, :prior_deals_max]. Segments that really differ keep their own rate; a small
-- one is pulled toward its parent.
-- Change: current minus prior rate in points; z from the pooled two-proportion test; prob_decline = P(z < 0)
-- by the normal CDF (a logistic approximation, error below 0.0002); parent_change_points is the parent's.
-- inputs: win_rate_counts; parameters :interval_z, :min_closed_deals, :prior_deals_min, :prior_deals_max

with

counts as (
    select * from win_rate_counts
),

with_parent as (
    select
        counts.*,
        cast(counts.won as double) / nullif(counts.closed, 0) as win_rate,
        cast(counts.prior_won as double) / nullif(counts.prior_closed, 0) as prior_win_rate,
        cast(parents.won as double) / nullif(parents.closed, 0) as parent_win_rate,
        cast(parents.prior_won as double) / nullif(parents.prior_closed, 0) as parent_prior_win_rate,
        100.0D * (cast(parents.won as double) / nullif(parents.closed, 0)
            - cast(parents.prior_won as double) / nullif(parents.prior_closed, 0)) as parent_change_points
    from counts
    left join counts as parents
        on parents.as_of_date = counts.as_of_date
        and parents.window_days = counts.window_days
        and parents.dimension = counts.parent_dimension
        and parents.segment = counts.parent_segment
),

moments as (
    -- rho = sum((x - n p)^2 - n p (1 - p)) / sum(n (n - 1) p (1 - p)) over the dimension's segments
    select
        as_of_date,
        window_days,
        dimension,
        sum(power(won - closed * parent_win_rate, 2) - closed * parent_win_rate * (1.0D - parent_win_rate)) as excess,
        sum(closed * (closed - 1) * parent_win_rate * (1.0D - parent_win_rate)) as spread
    from with_parent
    where closed > 0 and parent_win_rate is not null
    group by as_of_date, window_days, dimension
),

shrunk as (
    select
        with_parent.*,
        case
            when with_parent.parent_win_rate is null then null
            when moments.spread is null or moments.spread <= 0 or moments.excess <= 0 then :prior_deals_max
            else least(greatest(moments.spread / moments.excess - 1.0D, :prior_deals_min), :prior_deals_max)
        end as prior_deals
    from with_parent
    left join moments
        on moments.as_of_date = with_parent.as_of_date
        and moments.window_days = with_parent.window_days
        and moments.dimension = with_parent.dimension
),

tested as (
    select
        pooled_rates.*,
        (pooled_rates.win_rate - pooled_rates.prior_win_rate)
            / nullif(sqrt(pooled_rates.pooled * (1 - pooled_rates.pooled) * (1.0D / pooled_rates.n + 1.0D / pooled_rates.n0)), 0)
            as zc
    from (
        select
            shrunk.*,
            cast(nullif(shrunk.closed, 0) as double) as n,
            cast(nullif(shrunk.prior_closed, 0) as double) as n0,
            (shrunk.won + shrunk.prior_won) / nullif(cast(shrunk.closed + shrunk.prior_closed as double), 0) as pooled,
            cast(:interval_z as double) as z
        from shrunk
    ) as pooled_rates
),

final as (
    select
        -- ids
        as_of_date,
        window_days,
        dimension,
        segment,
        parent_dimension,
        parent_segment,
        state,
        district,
        -- the window
        closed,
        won,
        round(win_rate, 6) as win_rate,
        round((win_rate + z * z / (2 * n) - z * sqrt(win_rate * (1 - win_rate) / n + z * z / (4 * n * n)))
            / (1 + z * z / n), 6) as win_rate_low,
        round((win_rate + z * z / (2 * n) + z * sqrt(win_rate * (1 - win_rate) / n + z * z / (4 * n * n)))
            / (1 + z * z / n), 6) as win_rate_high,
        round(parent_win_rate, 6) as parent_win_rate,
        round(prior_deals, 3) as prior_deals,
        round(case
            when parent_win_rate is null then win_rate
            else (won + prior_deals * parent_win_rate) / nullif(closed + prior_deals, 0)
        end, 6) as win_rate_shrunk,
        -- the prior window and the change
        prior_days,
        prior_closed,
        prior_won,
        round(prior_win_rate, 6) as prior_win_rate,
        round(case
            when parent_prior_win_rate is null then prior_win_rate
            else (prior_won + prior_deals * parent_prior_win_rate) / nullif(prior_closed + prior_deals, 0)
        end, 6) as prior_win_rate_shrunk,
        round(100.0D * (win_rate - prior_win_rate), 4) as change_points,
        round(parent_change_points, 4) as parent_change_points,
        round(zc, 4) as change_z,
        round(1.0D / (1.0D + exp(0.07056D * power(zc, 3) + 1.5976D * zc)), 4) as prob_decline,
        is_comparable,
        closed >= :min_closed_deals as is_reportable,
        -- value and cycle of the won deals
        won_value,
        round(won_value / nullif(won_with_value, 0), 2) as avg_deal_value,
        round(cast(won_cycle_days as double) / nullif(won, 0), 2) as avg_cycle_days,
        round(prior_won_value / nullif(prior_won_with_value, 0), 2) as prior_avg_deal_value,
        round(cast(prior_won_cycle_days as double) / nullif(prior_won, 0), 2) as prior_avg_cycle_days
    from tested
)

select * from final
