"""In-app notifications and e-mail reminders for the people who must act next."""
