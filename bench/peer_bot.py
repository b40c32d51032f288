"""The peer: a plain python-telegram-bot form bot, written the way most are.

bench_chat.py runs it in the same harness and the same run as ours (``--peer``) and prints
the ratio of CPU per update. It is what a small team would write with the library's own
tools: ``Application`` with its ``Updater`` (getUpdates), a ``ConversationHandler`` walking
a list of questions, answers kept in ``context.user_data`` and saved by
``PicklePersistence`` (on its timer, every 60 s: an answer is not durable when it is
acknowledged, as ours is), a light check per answer (a name in capitals, a date, a gender),
a progress line and an inline keyboard on every question. Candidates replay their own
script with it (bench_chat.peer_script): their own names, dates and texts typed where the
peer asks for them, a tap on "Bỏ qua" where they tapped a button with ours.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

ASKING = 0
SKIP = "p:skip"

QUESTIONS: list[tuple[str, str, str]] = [
    ("ho_ten", "Họ và tên khai sinh (chữ in hoa)?", "name"),
    ("ngay_sinh", "Ngày, tháng, năm sinh?", "date"),
    ("gioi_tinh", "Giới tính (nam, nữ)?", "gender"),
    ("noi_sinh", "Nơi đăng ký khai sinh?", "text"),
    ("que_quan", "Quê quán?", "text"),
    ("thuong_tru", "Nơi thường trú?", "text"),
    ("dan_toc", "Dân tộc?", "text"),
    ("ton_giao", "Tôn giáo?", "text"),
    ("nghe_nghiep", "Nghề nghiệp hiện nay?", "text"),
    ("hoc_van", "Trình độ giáo dục phổ thông?", "text"),
    ("chuyen_mon", "Trình độ chuyên môn?", "text"),
    ("ngay_vao_doan", "Ngày vào Đoàn?", "date"),
    ("noi_vao_doan", "Nơi vào Đoàn?", "text"),
    ("lich_su", "Lịch sử bản thân (từ … đến …, làm gì, ở đâu)?", "text"),
    ("cha", "Họ và tên cha đẻ?", "name"),
    ("me", "Họ và tên mẹ đẻ?", "name"),
    ("tu_nhan_xet", "Tự nhận xét ưu điểm, khuyết điểm?", "text"),
    ("ngay_ky", "Ngày ký?", "date"),
]

_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")


def checked(kind: str, text: str) -> tuple[str, str | None]:
    """The value to store and, when it cannot be read, the message to send instead."""
    text = text.strip()
    if not text:
        return text, "Vui lòng nhập câu trả lời."
    if kind == "name":
        return text.upper(), None
    if kind == "gender":
        value = text.lower()
        return value, None if value in ("nam", "nữ", "nu") else "Ghi «nam» hoặc «nữ»."
    if kind == "date":
        found = _DATE.match(text)
        if found is None:
            return text, "Ghi ngày theo dạng ngày/tháng/năm, ví dụ 12/07/2001."
        try:
            day = datetime(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            return text, "Ngày này không có trong lịch."
        return day.strftime("%d/%m/%Y"), None
    return text, None


def question(index: int) -> tuple[str, InlineKeyboardMarkup]:
    _, text, _ = QUESTIONS[index % len(QUESTIONS)]
    progress = (
        f"Câu {index % len(QUESTIONS) + 1}/{len(QUESTIONS)} (lượt {index // len(QUESTIONS) + 1})"
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Bỏ qua", callback_data=SKIP),
                InlineKeyboardButton("Hủy", callback_data="p:stop"),
            ]
        ]
    )
    return f"{progress}\n{text}", keyboard


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None and context.user_data is not None
    context.user_data.clear()
    context.user_data["index"] = 0
    text, keyboard = question(0)
    await update.effective_message.reply_text("Xin chào!\n" + text, reply_markup=keyboard)
    return ASKING


async def record(update: Update, context: ContextTypes.DEFAULT_TYPE, typed: str | None) -> int:
    """Store the answer to the open question (``None``: skipped) and ask the next one, or
    say what is wrong with it."""
    assert update.effective_chat is not None and context.user_data is not None
    index = context.user_data.get("index", 0)
    key, _, kind = QUESTIONS[index % len(QUESTIONS)]
    value, problem = checked(kind, typed) if typed is not None else ("", None)
    if problem is not None:
        await context.bot.send_message(update.effective_chat.id, problem)
        return ASKING
    context.user_data.setdefault("answers", {})[f"{key}:{index // len(QUESTIONS)}"] = value
    context.user_data["index"] = index + 1
    text, keyboard = question(index + 1)
    await context.bot.send_message(
        update.effective_chat.id, f"Đã ghi: {value}\n\n{text}", reply_markup=keyboard
    )
    return ASKING


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.effective_message is not None
    return await record(update, context, update.effective_message.text or "")


async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    return await record(update, context, None)


def build(
    token: str, base_url: str, base_file_url: str, state_path: Path
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The peer's application (not started)."""
    # taps belong to the chat's conversation, not to one message: the library's advice about
    # per_message does not apply to a one-question-at-a-time form
    warnings.filterwarnings("ignore", category=PTBUserWarning, module="peer_bot")
    conversation = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            ASKING: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, typed),
                CallbackQueryHandler(tapped),
            ]
        },
        fallbacks=[CommandHandler("start", start)],
        name="form",
        persistent=True,
    )
    application = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .persistence(PicklePersistence(filepath=state_path))
        .build()
    )
    application.add_handler(conversation)
    return application
