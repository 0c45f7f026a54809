"""Booking states (预约状态). The transition table lives in booking.py."""
HELD = "held"                                            # 锁定待确认 (expires after hold_minutes)
PENDING_STAFF_CONFIRMATION = "pending_staff_confirmation"  # 待机构确认 (after repeated no-shows)
CONFIRMED = "confirmed"                                  # 已确认
CHECKED_IN = "checked_in"                                # 已签到
COMPLETED = "completed"                                  # 已完成
CANCELLED = "cancelled"                                  # 已取消
EXPIRED = "expired"                                      # 锁定超时
NO_SHOW = "no_show"                                      # 爽约
ORPHANED = "orphaned"                                    # 时段关闭/机构退出，待改约

ALL_STATES = (HELD, PENDING_STAFF_CONFIRMATION, CONFIRMED, CHECKED_IN, COMPLETED, CANCELLED,
              EXPIRED, NO_SHOW, ORPHANED)
# States that occupy a place in the slot (count against capacity).
SEAT_HOLDING = (HELD, PENDING_STAFF_CONFIRMATION, CONFIRMED, CHECKED_IN)
# States that block the person from another overlapping booking.
ACTIVE = SEAT_HOLDING
# States a slot closure / institution removal turns into orphaned.
ORPHANABLE = (HELD, PENDING_STAFF_CONFIRMATION, CONFIRMED)
FINAL = (COMPLETED, CANCELLED, EXPIRED, NO_SHOW)
