"""报送情况 (design §6): who has reported a day and when, deadlines and 催报, each user's history of
submissions."""
