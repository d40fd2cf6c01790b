"""`pmfield labels`: the same PDF from the command line."""

import pytest

from pmfield.labels import services
from pmfield.places.services import label_url
from pmfield.timeutil import utcnow
from tests import factories
from tests.labels import scanning


def test_writes_the_site_sheet(runner, site, many_points, tmp_path):
    output = tmp_path / "labels.pdf"
    result = runner.invoke(args=["labels", "--site", site.code, "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {len(many_points)} labels to {output}." in result.output
    found = scanning.decode_sheet(output.read_bytes(), 150)
    expected = sorted(many_points, key=lambda point: point.code)
    assert found == [[label_url(point.current_label)] for point in expected]


def test_the_same_pdf_as_the_web_page(runner, client, login_as, printer, site, tmp_path):
    points = [factories.make_point(site, code=f"B-{i}") for i in range(3)]
    output = tmp_path / "labels.pdf"
    result = runner.invoke(
        args=[
            "labels",
            "--site",
            site.code,
            "--output",
            str(output),
            "--point",
            "B-2",
            "--point",
            "B-0",
        ],
    )
    assert result.exit_code == 0, result.output
    login_as(printer)
    response = client.get(f"/labels/sheet.pdf?point={points[2].id}&point={points[0].id}")
    assert output.read_bytes() == response.data
    assert scanning.decode_sheet(response.data, 100) == [
        [label_url(points[2].current_label)],
        [label_url(points[0].current_label)],
    ]


def test_unknown_site_or_point(runner, site, tmp_path):
    factories.make_point(site, code="B-1")
    output = tmp_path / "labels.pdf"
    result = runner.invoke(args=["labels", "--site", "NOPE", "--output", str(output)])
    assert result.exit_code == 1
    assert "Error: No site has the code NOPE." in result.output
    result = runner.invoke(
        args=["labels", "--site", site.code, "--output", str(output), "--point", "B-404"]
    )
    assert result.exit_code == 1
    assert f"Error: No point of {site.code} has the code B-404." in result.output
    assert not output.exists()


def test_reports_skipped_points_and_refuses_an_empty_sheet(runner, site, tmp_path):
    factories.make_point(site, code="B-1")
    factories.make_point(site, code="B-2", retired_at=utcnow())
    factories.make_point(site, code="B-3", with_label=False)
    output = tmp_path / "labels.pdf"
    result = runner.invoke(args=["labels", "--site", site.code, "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "1 point was skipped because it has no valid label; issue one first." in result.output
    assert "retired" not in result.output  # a whole site means its live points
    assert "Wrote 1 label to" in result.output
    result = runner.invoke(
        args=["labels", "--site", site.code, "--output", str(output), "--point", "B-2"]
    )
    assert result.exit_code == 1
    assert "Nothing to print. 1 retired point was skipped." in result.output


class TestWithoutBaseUrl:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "BASE_URL": None}

    def test_warns_and_falls_back_to_localhost(self, app, runner, site, tmp_path):
        assert app.config["BASE_URL"] is None
        point = factories.make_point(site)
        output = tmp_path / "labels.pdf"
        result = runner.invoke(args=["labels", "--site", site.code, "--output", str(output)])
        assert result.exit_code == 0, result.output
        assert "PMFIELD_BASE_URL is not set" in result.output
        (cell,) = services.build_cells([point])
        assert cell.url.startswith("http://localhost:5000/q/")
        assert scanning.decode_sheet(output.read_bytes(), 150) == [[cell.url]]
