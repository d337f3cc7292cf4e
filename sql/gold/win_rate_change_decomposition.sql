-- win_rate_change_decomposition: the change in win rate between each window and its prior, split per
-- dimension into mix and rate (shift-share with midpoint weights). With s the share of a segment's closed
-- deals and r its win rate, in the prior window (0) and the window (1), and R the dimension's overall rate:
--     mix  = (s1 - s0) * ((r0 + r1) / 2 - (R0 + R1) / 2)   more deals from a segment below the average rate
--     rate = (r1 - r0) * (s0 + s1) / 2                      the segment converting differently
-- and the sums over a dimension's segments add up to the dimension's change exactly (the shares' changes sum
-- to 0, so centring the mix on the average rate changes no total; it makes a growing weak segment's own
-- contribution negative). A segment absent from one window takes its rate from the other (mix only).
-- "Win rate fell because more pipeline came from a weak source" is a negative mix in lead_source; "the same
-- sources convert worse" a negative rate. total_mix_z: the mix against the share changes chance explains
-- (multinomial shares: variance (sum s c^2 - (sum s c)^2) (1/n0 + 1/n1), c the segment's centred rate).
-- Totals are over the segments of the dimension (deals without a value for it are left out).
-- inputs: win_rate_by_segment

with

segments as (
    select * from win_rate_by_segment
    where dimension not in ('overall', 'dealer', 'rep')
),

totals as (
    select
        as_of_date,
        window_days,
        dimension,
        sum(closed) as total_closed,
        sum(won) as total_won,
        sum(prior_closed) as total_prior_closed,
        sum(prior_won) as total_prior_won,
        bool_and(is_comparable) as is_comparable
    from segments
    group by as_of_date, window_days, dimension
),

shares as (
    select
        segments.as_of_date,
        segments.window_days,
        segments.dimension,
        segments.segment,
        segments.closed,
        segments.prior_closed,
        cast(segments.closed as double) / nullif(totals.total_closed, 0) as share,
        cast(segments.prior_closed as double) / nullif(totals.total_prior_closed, 0) as prior_share,
        coalesce(segments.win_rate, segments.prior_win_rate) as rate_1,
        coalesce(segments.prior_win_rate, segments.win_rate) as rate_0,
        totals.total_closed,
        totals.total_prior_closed,
        cast(totals.total_won as double) / nullif(totals.total_closed, 0) as total_win_rate,
        cast(totals.total_prior_won as double) / nullif(totals.total_prior_closed, 0) as total_prior_win_rate,
        cast(totals.total_won + totals.total_prior_won as double)
            / nullif(totals.total_closed + totals.total_prior_closed, 0) as pooled,
        totals.is_comparable
    from segments
    inner join totals
        on totals.as_of_date = segments.as_of_date
        and totals.window_days = segments.window_days
        and totals.dimension = segments.dimension
),

effects as (
    select
        shares.*,
        (shares.rate_0 + shares.rate_1) / 2 - (shares.total_prior_win_rate + shares.total_win_rate) / 2 as centred,
        (shares.share - shares.prior_share)
            * ((shares.rate_0 + shares.rate_1) / 2 - (shares.total_prior_win_rate + shares.total_win_rate) / 2)
            as mix_effect,
        (shares.rate_1 - shares.rate_0) * (shares.prior_share + shares.share) / 2 as rate_effect
    from shares
),

summed as (
    select
        effects.*,
        sum(effects.mix_effect) over dimension_totals as total_mix,
        sum(effects.rate_effect) over dimension_totals as total_rate,
        sum((effects.share + effects.prior_share) / 2 * effects.centred * effects.centred) over dimension_totals
            as spread_2,
        sum((effects.share + effects.prior_share) / 2 * effects.centred) over dimension_totals as spread_1
    from effects
    window dimension_totals as (partition by effects.as_of_date, effects.window_days, effects.dimension)
),

final as (
    select
        -- ids
        as_of_date,
        window_days,
        dimension,
        segment,
        -- the segment
        round(prior_share, 6) as prior_share,
        round(share, 6) as share,
        round(rate_0, 6) as prior_win_rate,
        round(rate_1, 6) as win_rate,
        round(mix_effect, 6) as mix_effect,
        round(rate_effect, 6) as rate_effect,
        closed,
        prior_closed,
        -- the dimension's totals
        total_closed,
        total_prior_closed,
        round(total_prior_win_rate, 6) as total_prior_win_rate,
        round(total_win_rate, 6) as total_win_rate,
        round(total_win_rate - total_prior_win_rate, 6) as total_change,
        round(total_mix, 6) as total_mix,
        round(total_rate, 6) as total_rate,
        round((total_win_rate - total_prior_win_rate) / nullif(sqrt(pooled * (1 - pooled)
            * (1.0D / nullif(total_closed, 0) + 1.0D / nullif(total_prior_closed, 0))), 0), 4) as total_change_z,
        round(total_mix / nullif(sqrt(greatest(spread_2 - spread_1 * spread_1, 0.0D)
            * (1.0D / nullif(total_closed, 0) + 1.0D / nullif(total_prior_closed, 0))), 0), 4) as total_mix_z,
        is_comparable
    from summed
)

select * from final
