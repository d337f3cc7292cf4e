-- rep_consistency: the Rep Win Consistency Index per sales consultant over the last :rep_weeks complete weeks
-- (Monday to Sunday) before the as-of date, from the closed deals that count in a win rate.
--
-- A consultant's weekly win rates vary by chance alone (a week of 5 deals swings a lot); what matters is how
-- much more they vary. The dispersion is the chi-square of the weekly wins against the consultant's own rate
-- divided by its degrees of freedom (1 = chance, 3 = three times the variation chance explains), shrunk toward
-- 1 by :rep_prior_weeks weeks of "consistent" evidence so that a short record reads as consistent. The index
-- is 100 / max(dispersion, 1): 100 is as steady as chance allows. Erratic: at least :rep_min_closed_deals
-- closed deals and a dispersion of :erratic_dispersion or more. shortfall_deals: the deals won below the
-- consultant's own rate in the weak weeks. The displayed rate is shrunk toward the dealer's over the same weeks
-- by :rep_prior_weeks weeks of the consultant's own volume. Weeks starting before the data's warm-up ends
-- (:warmup_days after the first enquiry) are left out.
-- inputs: closed_deals, as_of_dates; parameters :rep_weeks, :rep_min_closed_deals, :rep_prior_weeks,
-- :erratic_dispersion, :warmup_days

with

deals as (
    select * from closed_deals
    where is_counted
      and rep_id is not null
),

frames as (
    select
        as_of_date,
        cast(date_trunc('week', date_add(as_of_date, 1)) as date) as next_week_start
    from as_of_dates
),

by_week as (
    -- per consultant and week (independent of the as-of date); a closing known only after its week ended (a
    -- backdated closed date) keeps its known date, so a date counts only what was known on it
    select
        rep_id,
        cast(date_trunc('week', closed_date) as date) as week_start,
        case
            when known_date > date_add(cast(date_trunc('week', closed_date) as date), 6) then known_date
        end as late_known_date,
        max_by(dealer_code, closed_date) as dealer_code,
        max_by(state, closed_date) as state,
        max_by(district, closed_date) as district,
        min(data_start_date) as data_start_date,
        count(*) as closed,
        count_if(is_won) as won
    from deals
    group by rep_id, cast(date_trunc('week', closed_date) as date),
        case when known_date > date_add(cast(date_trunc('week', closed_date) as date), 6) then known_date end
),

weekly as (
    select
        frames.as_of_date,
        by_week.rep_id,
        by_week.week_start,
        max_by(by_week.dealer_code, by_week.closed) as dealer_code,
        max_by(by_week.state, by_week.closed) as state,
        max_by(by_week.district, by_week.closed) as district,
        sum(by_week.closed) as closed,
        sum(by_week.won) as won
    from frames
    inner join by_week
        on by_week.week_start >= date_sub(frames.next_week_start, 7 * :rep_weeks)
        and by_week.week_start < frames.next_week_start
        and (by_week.late_known_date is null or by_week.late_known_date <= frames.as_of_date)
        and by_week.week_start >= date_add(by_week.data_start_date, :warmup_days)
    group by frames.as_of_date, by_week.rep_id, by_week.week_start
),

reps as (
    select
        as_of_date,
        rep_id,
        max_by(dealer_code, week_start) as dealer_code,
        max_by(state, week_start) as state,
        max_by(district, week_start) as district,
        count(*) as weeks,
        sum(closed) as closed,
        sum(won) as won,
        min(cast(won as double) / closed) as weekly_rate_min,
        max(cast(won as double) / closed) as weekly_rate_max,
        stddev_pop(cast(won as double) / closed) as weekly_rate_sd
    from weekly
    group by as_of_date, rep_id
),

dealers as (
    select
        as_of_date,
        dealer_code,
        cast(sum(won) as double) / sum(closed) as dealer_win_rate
    from weekly
    group by as_of_date, dealer_code
),

chi_square as (
    select
        weekly.as_of_date,
        weekly.rep_id,
        -- rounded to 9 places: a sum of doubles ends in bits that depend on the order of its terms, and the
        -- dispersion rounded from it below must be the same on every run
        round(sum(power(weekly.won - weekly.closed * rated.p, 2) / (weekly.closed * rated.p * (1 - rated.p))), 9)
            as chi2,
        round(sum(greatest(weekly.closed * rated.p - weekly.won, 0)), 9) as shortfall_deals
    from weekly
    inner join (
        select
            as_of_date,
            rep_id,
            least(greatest(cast(won as double) / closed, 0.01D), 0.99D) as p
        from reps
    ) as rated
        on rated.as_of_date = weekly.as_of_date
        and rated.rep_id = weekly.rep_id
    group by weekly.as_of_date, weekly.rep_id
),

final as (
    select
        -- ids
        reps.as_of_date,
        reps.rep_id,
        reps.dealer_code,
        reps.state,
        reps.district,
        -- the record
        reps.weeks,
        reps.closed,
        reps.won,
        round(cast(reps.won as double) / reps.closed, 6) as win_rate,
        round((reps.won + :rep_prior_weeks * reps.closed / reps.weeks * dealers.dealer_win_rate)
            / (reps.closed + :rep_prior_weeks * reps.closed / reps.weeks), 6) as win_rate_shrunk,
        round(reps.weekly_rate_min, 6) as weekly_rate_min,
        round(reps.weekly_rate_max, 6) as weekly_rate_max,
        round(reps.weekly_rate_sd, 6) as weekly_rate_sd,
        -- consistency
        round((chi_square.chi2 + :rep_prior_weeks) / (reps.weeks - 1 + :rep_prior_weeks), 4) as dispersion,
        round(100.0D / greatest((chi_square.chi2 + :rep_prior_weeks) / (reps.weeks - 1 + :rep_prior_weeks), 1.0D), 2)
            as consistency_index,
        round(chi_square.shortfall_deals, 2) as shortfall_deals,
        reps.closed >= :rep_min_closed_deals
            and (chi_square.chi2 + :rep_prior_weeks) / (reps.weeks - 1 + :rep_prior_weeks) >= :erratic_dispersion
            as is_erratic
    from reps
    inner join chi_square
        on chi_square.as_of_date = reps.as_of_date
        and chi_square.rep_id = reps.rep_id
    left join dealers
        on dealers.as_of_date = reps.as_of_date
        and dealers.dealer_code = reps.dealer_code
)

select * from final
