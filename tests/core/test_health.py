from django.test import Client


def test_healthz_answers_ok_when_the_database_answers(db: None) -> None:
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
