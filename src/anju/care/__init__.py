"""Care for elderly people living alone, people in special hardship and disabled residents (issue 16)."""
