"""The bot's own places in Slack: the App Home tab and the Messages tab's suggested prompts."""
