"""hra-viz: a teaching app for Householder Reflection Adaptation. Run with ``make run``."""

import streamlit as st

import ui
from hra_viz.text import t
from ui import studies

st.set_page_config(page_title="HRA explained", page_icon="🪞", layout="wide")
studies.start_warmup()  # once per server: the default studies, in the background (serve.py starts it earlier)

if "lang" not in st.session_state:  # page titles below need the language before the URL is checked
    ui.init_lang()
lang = ui.lang()

pages = [
    st.Page("pages/home.py", title=t("page.home", lang), icon="🏠", url_path="one-minute", default=True),
    st.Page("pages/reflections.py", title=t("page.reflections", lang), icon="🪞", url_path="reflect"),
    st.Page("pages/wy_form.py", title=t("page.wy_form", lang), icon="🧮", url_path="wy-form"),
    st.Page("pages/live_training.py", title=t("page.training", lang), icon="📈", url_path="training"),
    st.Page("pages/chain_length.py", title=t("page.chain_length", lang), icon="📏", url_path="chain-length"),
    st.Page("pages/pilot.py", title=t("page.pilot", lang), icon="🧪", url_path="ab-pilot"),
    st.Page("pages/spectra_geometry.py", title=t("page.spectra", lang), icon="🎼", url_path="spectra"),
    st.Page("pages/regulariser.py", title=t("page.regulariser", lang), icon="⚖️", url_path="lambda"),
    st.Page("pages/inspector.py", title=t("page.inspector", lang), icon="🔍", url_path="inspect"),
    st.Page("pages/budget.py", title=t("page.budget", lang), icon="💰", url_path="cost"),
    st.Page("pages/real_model.py", title=t("page.real_model", lang), icon="🤖", url_path="real-model"),
]
page = st.navigation(pages)
ui.sanitize_url()  # after the page is known, before any widget: bad URL values are fixed, with a warning

with st.sidebar:
    ui.language_selector()
    lang = ui.lang()
    ui.control("device")
    st.session_state["device_resolved"] = ui.resolve_device(st.session_state.get("device", "auto"))
    st.caption(t("ui.device_in_use", lang, device=st.session_state["device_resolved"]))
    ui.control("seed")
    ui.control("present")
    st.divider()

ui.page_css()
ui.presenter_toolbar()  # presentation mode: the row for the page's Settings, presets and way back
ui.show_url_warnings()
page.run()
