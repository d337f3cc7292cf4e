-- product_affinity: association rules between product lines at account level. An account "holds" the lines it
-- bought in the last :affinity_window_days; for every ordered pair of lines held on a date (antecedent A,
-- consequent B): support = accounts holding both / all accounts, confidence = both / holding A, lift = confidence
-- / the share holding B. The confidence is also shrunk toward B's base rate by :affinity_prior_accounts pseudo
-- accounts (a rule on few accounts says little), and a rule on fewer than :affinity_min_pair_accounts accounts
-- holding both is not reportable. rank orders each antecedent's rules: reportable first, then shrunk lift.
-- inputs: account_purchases, as_of_dates

with

dates as (
    select as_of_date from as_of_dates
),

purchases as (
    select * from account_purchases
),

holdings as (
    select distinct
        dates.as_of_date,
        purchases.account_id,
        purchases.product_line
    from purchases
    inner join dates
        on purchases.purchase_date <= dates.as_of_date
       and purchases.purchase_date > date_sub(dates.as_of_date, :affinity_window_days)
    where purchases.product_line is not null
),

population as (
    select as_of_date, count(distinct account_id) as accounts
    from holdings
    group by as_of_date
),

line_counts as (
    select as_of_date, product_line, count(*) as line_accounts
    from holdings
    group by as_of_date, product_line
),

pair_counts as (
    select
        antecedent.as_of_date,
        antecedent.product_line as antecedent,
        consequent.product_line as consequent,
        count(*) as pair_accounts
    from holdings as antecedent
    inner join holdings as consequent
        on antecedent.as_of_date = consequent.as_of_date
       and antecedent.account_id = consequent.account_id
       and antecedent.product_line <> consequent.product_line
    group by antecedent.as_of_date, antecedent.product_line, consequent.product_line
),

candidates as (
    -- every ordered pair of lines held on the date, those no account holds together too (lift 0)
    select
        antecedent.as_of_date,
        antecedent.product_line as antecedent,
        consequent.product_line as consequent,
        population.accounts,
        antecedent.line_accounts as antecedent_accounts,
        consequent.line_accounts as consequent_accounts,
        coalesce(pair_counts.pair_accounts, 0) as pair_accounts
    from line_counts as antecedent
    inner join line_counts as consequent
        on antecedent.as_of_date = consequent.as_of_date
       and antecedent.product_line <> consequent.product_line
    inner join population
        on antecedent.as_of_date = population.as_of_date
    left join pair_counts
        on antecedent.as_of_date = pair_counts.as_of_date
       and antecedent.product_line = pair_counts.antecedent
       and consequent.product_line = pair_counts.consequent
),

measured as (
    select
        candidates.*,
        cast(pair_accounts as double) / accounts as support,
        cast(pair_accounts as double) / antecedent_accounts as confidence,
        cast(consequent_accounts as double) / accounts as base_rate,
        (pair_accounts + :affinity_prior_accounts * consequent_accounts / accounts)
            / (antecedent_accounts + :affinity_prior_accounts) as confidence_shrunk,
        pair_accounts >= :affinity_min_pair_accounts as is_reportable
    from candidates
),

final as (
    select
        -- ids
        as_of_date,
        antecedent,
        consequent,
        -- counts
        cast(accounts as bigint) as accounts,
        cast(antecedent_accounts as bigint) as antecedent_accounts,
        cast(consequent_accounts as bigint) as consequent_accounts,
        cast(pair_accounts as bigint) as pair_accounts,
        -- measures
        support,
        confidence,
        confidence / base_rate as lift,
        cast(confidence_shrunk as double) as confidence_shrunk,
        confidence_shrunk / base_rate as lift_shrunk,
        is_reportable,
        cast(row_number() over (
            partition by as_of_date, antecedent
            order by is_reportable desc, confidence_shrunk / base_rate desc, consequent
        ) as int) as rank
    from measured
)

select * from final
