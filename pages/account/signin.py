"""The only page before sign-in when anonymous reading is off."""

import streamlit as st

from ui.session import t
from ui.signin import signin_form

st.title(t("app.title"))
st.caption(t("app.subtitle"))
st.info(t("signin.required"))
signin_form()
