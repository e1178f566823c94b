"""Daily report files and the on-screen form (design §3.1, 3.3): read, checked, stored, the
template and the marked-up error workbook."""
