-- The ranking days being built: from the variable `first_built` to `last_day`.
select cast(unnest(generate_series(
    getvariable('first_built'), getvariable('last_day'), interval 1 day
)) as date) as date
