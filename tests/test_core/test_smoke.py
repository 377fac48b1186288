def test_start_page_renders_in_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "业主" in response.get_data(as_text=True) or "OwnersVote" in response.get_data(as_text=True)
