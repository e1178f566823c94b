"""统计可信度: how far chance alone moves a town's rate and rank (intervals, funnel plots, rank
simulation)."""
