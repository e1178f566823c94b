"""推送 (design §12): the bulletin, each town's own message, 催报 and 督办 notices, queued in the
store with what caused them and delivered to DingTalk, WeCom, email and webhooks."""
