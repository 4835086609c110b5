"""满意度测评: each author rates an issued reply (a personal link, or the paper form entered by
a clerk); the item's rating follows from all answers; 不满意 sends the item back for a second
reply; the supervising office closes the item and grades the handling."""
