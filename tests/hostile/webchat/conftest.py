from tests.channels.webchat.conftest import (  # noqa: F401 (the widget's fixtures)
    _fresh_channel_layer,
    chat,
)
