-- taluka_lead_surveillance: is a taluka's demand above what its own history and the market explain, beyond
-- chance? A count-surveillance rule in the manner of Farrington et al. (1996), with the market in place of
-- past years:
--   window     the :surge_window_days days ending on a check day; its leads are `recent_leads`
--   baseline   the :baseline_days days ending :guard_days days before the window (the guard keeps the first
--              days of a surge out of its own baseline)
--   market     the rest of the network: all other talukas' leads, day by day. It carries the day-of-week
--              rhythm and the season, so a festive week that lifts every taluka raises every expectation.
--   expected   the taluka's share of the market over the baseline x the market's leads in the window
--   dispersion quasi-Poisson over-dispersion of the taluka's daily counts around its expectation in the
--              baseline (Pearson chi-square / (baseline days - 1)), never below 1 (Poisson)
--   upper      the upper prediction bound at :upper_z standard deviations on Farrington's 2/3-power scale,
--              with variance dispersion x expected x (1 + window market / baseline market): the count's own
--              noise plus the error of the estimated share. The expectation is floored at one lead here
--              (as lead_z does) so a taluka with almost no history still needs several leads to pass.
--   score      (recent - expected) / (upper - expected): above 1 means above the bound
--   is_surge   the count was above the bound on at least :persist_days of the :persist_window_days days
--              ending on the as-of date (the check days)
-- One row per as-of date and taluka with a lead in its look-back; the measures are the as-of date's own.
-- inputs: taluka_daily_leads (this run's rows); parameters :baseline_days :guard_days :surge_window_days
--         :upper_z :persist_days :persist_window_days

with

daily as (
    select * from taluka_daily_leads
),

network as (
    select
        as_of_date,
        lead_date,
        sum(leads) as network_leads
    from daily
    group by as_of_date, lead_date
),

-- the days the persistence rule looks at, and the bounds of each one's window and baseline
check_days as (
    select
        as_of_date,
        check_date,
        date_sub(check_date, :surge_window_days) as window_after,
        date_sub(check_date, :surge_window_days + :guard_days) as baseline_until,
        date_sub(check_date, :surge_window_days + :guard_days + :baseline_days) as baseline_after
    from (
        select
            as_of_date,
            explode(sequence(date_sub(as_of_date, :persist_window_days - 1), as_of_date)) as check_date
        from (select distinct as_of_date from daily) as run_dates
    ) as days
),

network_sums as (
    select
        check_days.as_of_date,
        check_days.check_date,
        sum(case when network.lead_date > check_days.window_after then network.network_leads else 0 end)
            as network_window,
        sum(case when network.lead_date <= check_days.baseline_until then network.network_leads else 0 end)
            as network_baseline,
        -- days of the baseline the data covers (fewer than :baseline_days early in a lake's life)
        count(case when network.lead_date <= check_days.baseline_until then 1 end) as baseline_days_seen
    from check_days
    inner join network
        on network.as_of_date = check_days.as_of_date
       and network.lead_date > check_days.baseline_after
       and network.lead_date <= check_days.check_date
    group by check_days.as_of_date, check_days.check_date
),

taluka_sums as (
    select
        check_days.as_of_date,
        check_days.check_date,
        daily.state,
        daily.district,
        daily.taluka,
        sum(case when daily.lead_date > check_days.window_after then daily.leads else 0 end) as recent_leads,
        sum(case when daily.lead_date <= check_days.baseline_until then daily.leads else 0 end) as baseline_leads,
        -- sum of leads^2 / (rest of the network's leads) over the baseline days: the Pearson statistic below
        sum(
            case
                when daily.lead_date <= check_days.baseline_until
                    then cast(daily.leads * daily.leads as double)
                        / greatest(network.network_leads - daily.leads, 1)
                else 0.0D
            end
        ) as baseline_square_ratio
    from check_days
    inner join daily
        on daily.as_of_date = check_days.as_of_date
       and daily.lead_date > check_days.baseline_after
       and daily.lead_date <= check_days.check_date
       and (daily.lead_date > check_days.window_after or daily.lead_date <= check_days.baseline_until)
    inner join network
        on network.as_of_date = daily.as_of_date
       and network.lead_date = daily.lead_date
    group by check_days.as_of_date, check_days.check_date, daily.state, daily.district, daily.taluka
),

-- the rest of the network (the market) in the window and in the baseline, and the taluka's share of it
shares as (
    select
        taluka_sums.*,
        network_sums.baseline_days_seen,
        network_sums.network_window - taluka_sums.recent_leads as market_window,
        network_sums.network_baseline - taluka_sums.baseline_leads as market_baseline,
        cast(taluka_sums.baseline_leads as double)
            / greatest(network_sums.network_baseline - taluka_sums.baseline_leads, 1) as baseline_share
    from taluka_sums
    inner join network_sums
        on taluka_sums.as_of_date = network_sums.as_of_date
       and taluka_sums.check_date = network_sums.check_date
),

-- expected leads, and Pearson chi-square of the baseline days: sum (y - e)^2 / e = sum y^2 / e - sum y,
-- since the expectations e = share x market add up to the baseline's leads
expectations as (
    select
        shares.*,
        shares.baseline_share * shares.market_window as expected_leads,
        greatest(
            1.0D,
            case
                when shares.baseline_leads = 0 then 0.0D
                else shares.baseline_square_ratio / shares.baseline_share - shares.baseline_leads
            end / greatest(shares.baseline_days_seen - 1, 1)
        ) as lead_dispersion
    from shares
),

bounds as (
    select
        expectations.*,
        greatest(expectations.expected_leads, 1.0D) * power(
            1.0D + 2.0D / 3 * :upper_z * sqrt(
                expectations.lead_dispersion
                * (1.0D + cast(expectations.market_window as double) / greatest(expectations.market_baseline, 1))
                / greatest(expectations.expected_leads, 1.0D)
            ),
            1.5D
        ) as upper_leads
    from expectations
),

checks as (
    select
        bounds.*,
        (bounds.recent_leads - bounds.expected_leads) / (bounds.upper_leads - bounds.expected_leads) as surge_score,
        bounds.recent_leads > bounds.upper_leads as is_above_upper
    from bounds
),

persistence as (
    select
        as_of_date,
        state,
        district,
        taluka,
        sum(case when is_above_upper then 1 else 0 end) as surge_days
    from checks
    group by as_of_date, state, district, taluka
),

final as (
    select
        -- ids
        checks.as_of_date,
        checks.state,
        checks.district,
        checks.taluka,
        -- measures (the as-of date's window)
        cast(checks.recent_leads as bigint) as recent_leads,
        cast(checks.baseline_leads as bigint) as baseline_leads,
        checks.baseline_share,
        checks.expected_leads,
        checks.lead_dispersion,
        checks.upper_leads,
        checks.surge_score,
        -- flags
        cast(persistence.surge_days as int) as surge_days,
        persistence.surge_days >= :persist_days as is_surge
    from checks
    inner join persistence
        on checks.as_of_date = persistence.as_of_date
       and checks.state = persistence.state
       and checks.district = persistence.district
       and checks.taluka = persistence.taluka
    where checks.check_date = checks.as_of_date
)

select * from final
