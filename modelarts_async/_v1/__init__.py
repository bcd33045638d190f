"""The v1 data-annotation calls (`get_image_info_by_id` and its bulk forms), their models and their converter."""
