"""Small shared helpers with no business rules: China time, pagination, money in fen, exact fractions."""
