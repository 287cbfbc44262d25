"""Packet builds without WeasyPrint: enclosure checks, the task's idempotency, the stale-packet
guard, the admin views and the command. ``fake_render`` stands in for the renderer (one blank
page per placeholder), so the rest of the build runs for real; test_packets.py renders for real.
"""

from __future__ import annotations

import hashlib
import io
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from documents import rendering
from documents.models import Document, ReviewStatus
from documents.packets import PacketError
from documents.packets.models import BuildStatus, PacketBuild
from documents.packets.services import (
    latest_packet,
    packet_blockers,
    packet_build,
    packet_build_request,
    packet_build_run,
)
from documents.tasks import build_packet_task
from tests import factories
from tests.documents.test_packets import accept, demo_case, stand_in_application_packet

pytestmark = pytest.mark.django_db


def fake_render(template_name, context, *, footer=None, resource_dirs=()):
    """What render_pdf returns, minus WeasyPrint: one own page, then one per placeholder."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    anchors = {}
    for enclosure in context["enclosures"]:
        for page in enclosure.pages:
            anchors[page["anchor"]] = len(writer.pages)
            writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return rendering.RenderedPdf(data=out.getvalue(), page_count=len(writer.pages), anchors=anchors)


@pytest.fixture
def no_weasyprint(monkeypatch):
    monkeypatch.setattr(rendering, "render_pdf", fake_render)


@pytest.fixture
def case(facilitator):
    return demo_case(facilitator)


def packet_versions(case, kind="application"):
    return list(
        case.documents.filter(document_type__code=f"{kind}_packet")
        .order_by("version")
        .values_list("version", flat=True)
    )


def corrupt(document, data=b"%PDF-1.4\nthis is not a PDF any more\n%%EOF\n", *, keep_hash=False):
    """Replace the stored file; ``keep_hash=False`` also records the new bytes' SHA-256, as if
    the damaged file had been accepted like that."""
    with open(document.file.path, "wb") as handle:
        handle.write(data)
    if not keep_hash:
        Document.objects.filter(pk=document.pk).update(sha256=hashlib.sha256(data).hexdigest())


# --- Enclosures -----------------------------------------------------------------------------


def test_build_with_the_fake_renderer_stores_every_enclosure_page(case, facilitator, no_weasyprint):
    document = packet_build(case=case, kind="application", by=facilitator)
    enclosure_pages = sum(
        d.page_count
        for d in case.documents.filter(document_type__required_before="regulatory_review")
    )
    assert document.page_count == 1 + enclosure_pages
    assert (document.version, document.review_status) == (1, ReviewStatus.ACCEPTED)
    with document.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert "MARKER-GENETIC_REPORT-P3" in " ".join(p.extract_text() for p in reader.pages)


def test_corrupt_enclosure_fails_with_a_clear_message_and_keeps_the_previous_packet(
    case, facilitator, no_weasyprint
):
    previous = stand_in_application_packet(case, facilitator)
    corrupt(accept(case, "genetic_report", facilitator))  # v2, accepted, then damaged
    with pytest.raises(PacketError) as refused:
        packet_build(case=case, kind="application", by=facilitator)
    assert "The genetic report v2 is not a readable PDF" in str(refused.value)
    assert packet_versions(case) == [1]
    assert latest_packet(case, "application") == previous


def test_a_changed_file_is_refused_by_its_hash(case, facilitator, no_weasyprint):
    corrupt(case.documents.get(document_type__code="prescription"), keep_hash=True)
    with pytest.raises(PacketError, match="RMP prescription v1 no longer matches the SHA-256"):
        packet_build(case=case, kind="application", by=facilitator)


def test_missing_or_unreviewed_documents_are_listed(case, facilitator, no_weasyprint):
    case.documents.filter(document_type__code="cbc").delete()
    accept(case, "troponin", facilitator)
    Document.objects.filter(case=case, document_type__code="troponin", version=2).update(
        review_status=ReviewStatus.PENDING
    )
    with pytest.raises(PacketError) as refused:
        packet_build(case=case, kind="application", by=facilitator)
    text = " ".join(refused.value.messages)
    assert "Complete blood count with haemoglobin and platelets: missing." in text
    assert "Troponin-I: uploaded (v2) but not yet reviewed." in text


def test_customs_packet_needs_the_shipment_facts(case, facilitator, no_weasyprint):
    for code in [
        "rare_disease_certificate",
        "form_12b_permit",
        "commercial_invoice",
        "air_waybill",
        "packing_list",
        "certificate_of_analysis",
    ]:
        accept(case, code, facilitator)
    with pytest.raises(PacketError, match="air waybill"):
        packet_build(case=case, kind="customs", by=facilitator)


def test_only_facilitators_build(case, doctor1, no_weasyprint):
    with pytest.raises(Exception, match="Only facilitators"):
        packet_build(case=case, kind="application", by=doctor1)
    with pytest.raises(Exception, match="Only facilitators"):
        packet_build_request(case=case, kind="application", by=doctor1)


def test_an_out_of_band_weight_is_refused_with_the_clinical_message(facilitator, no_weasyprint):
    case = demo_case(facilitator, weight=Decimal("22.0"))
    with pytest.raises(PacketError, match="outside the Zolgensma weight bands"):
        packet_build(case=case, kind="application", by=facilitator)


# --- The task --------------------------------------------------------------------------------


@pytest.fixture
def queued(case, facilitator, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(build_packet_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        build = packet_build_request(case=case, kind="application", by=facilitator)
    delay.assert_called_once_with(build.pk)
    return build


def test_a_retried_task_makes_one_version(case, queued, no_weasyprint):
    build_packet_task.apply(args=[queued.pk])
    build_packet_task.apply(args=[queued.pk])  # redelivered after the work was done
    queued.refresh_from_db()
    assert (queued.status, queued.progress, queued.step) == (BuildStatus.DONE, 100, "Done")
    assert packet_versions(case) == [1]
    assert queued.document == latest_packet(case, "application")


def test_a_task_rerun_after_a_crash_before_storing_builds_once(case, queued, no_weasyprint):
    PacketBuild.objects.filter(pk=queued.pk).update(status=BuildStatus.RUNNING, progress=40)
    build_packet_task.apply(args=[queued.pk])
    queued.refresh_from_db()
    assert queued.status == BuildStatus.DONE
    assert packet_versions(case) == [1]


def test_a_build_that_keeps_killing_its_worker_stops_after_three_tries(case, queued, no_weasyprint):
    PacketBuild.objects.filter(pk=queued.pk).update(status=BuildStatus.RUNNING, attempts=3)
    build_packet_task.apply(args=[queued.pk])  # the fourth delivery of the message
    queued.refresh_from_db()
    assert queued.status == BuildStatus.FAILED
    assert "stopped without finishing 3 times" in queued.error
    assert packet_versions(case) == []


def test_a_duplicate_running_alongside_stores_nothing(case, queued, monkeypatch):
    inner_done = []

    def render_while_another_worker_finishes(*args, **kwargs):
        if not inner_done:
            inner_done.append(None)
            inner_done[0] = packet_build_run(build_id=queued.pk)  # the duplicate wins
        return fake_render(*args, **kwargs)

    monkeypatch.setattr(rendering, "render_pdf", render_while_another_worker_finishes)
    outer = packet_build_run(build_id=queued.pk)
    assert packet_versions(case) == [1]
    assert outer == inner_done[0]


def test_a_failed_build_records_the_message_and_progress_stops(
    case, facilitator, queued, no_weasyprint
):
    corrupt(case.documents.get(document_type__code="genetic_report"))
    build_packet_task.apply(args=[queued.pk])
    queued.refresh_from_db()
    assert queued.status == BuildStatus.FAILED
    assert "genetic report v1 is not a readable PDF" in queued.error
    assert queued.document is None
    build_packet_task.apply(args=[queued.pk])  # a failed build is final
    assert PacketBuild.objects.get(pk=queued.pk).error == queued.error


def test_progress_is_written_as_the_build_goes(case, queued, monkeypatch):
    seen = []
    original = rendering.place_pages

    def spy(base, placements, *, on_page=None):
        def recording(done, total):
            on_page(done, total)
            build = PacketBuild.objects.get(pk=queued.pk)
            seen.append((build.status, build.progress, build.step))

        return original(base, placements, on_page=recording)

    monkeypatch.setattr(rendering, "render_pdf", fake_render)
    monkeypatch.setattr(rendering, "place_pages", spy)
    build_packet_task.apply(args=[queued.pk])
    assert seen[0][0] == BuildStatus.RUNNING
    assert [p for _, p, _ in seen] == sorted(p for _, p, _ in seen)
    assert 70 < seen[-1][1] < 100
    assert re.match(r"Placing enclosed pages \(\d+ of \d+\)", seen[-1][2])


def test_a_second_click_reuses_the_build_under_way(case, facilitator, queued):
    with mock.patch.object(build_packet_task, "delay") as delay:
        again = packet_build_request(case=case, kind="application", by=facilitator)
    assert again == queued
    delay.assert_not_called()


def test_a_stale_build_is_failed_and_replaced(
    case, facilitator, queued, django_capture_on_commit_callbacks
):
    PacketBuild.objects.filter(pk=queued.pk).update(
        status=BuildStatus.RUNNING, updated_at=timezone.now() - timezone.timedelta(hours=1)
    )
    with (
        mock.patch.object(build_packet_task, "delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        fresh = packet_build_request(case=case, kind="application", by=facilitator)
    assert fresh != queued
    assert PacketBuild.objects.get(pk=queued.pk).status == BuildStatus.FAILED


def test_an_unreachable_broker_fails_the_build_with_a_message(
    case, facilitator, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(build_packet_task, "delay", side_effect=OSError("refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        build = packet_build_request(case=case, kind="application", by=facilitator)
    build.refresh_from_db()
    assert build.status == BuildStatus.FAILED
    assert "task queue could not be reached" in build.error


# --- The stale-packet guard (for submit_to_regulator) ------------------------------------------


def test_no_packet_blocks_submission(case):
    assert packet_blockers(case) == ["Build the application packet first."]


def test_a_packet_built_after_every_acceptance_passes(case, facilitator, no_weasyprint):
    packet_build(case=case, kind="application", by=facilitator)
    assert packet_blockers(case) == []


def test_a_document_accepted_after_the_packet_makes_it_stale(case, facilitator, no_weasyprint):
    packet = packet_build(case=case, kind="application", by=facilitator)
    newer = accept(case, "genetic_report", facilitator)
    Document.objects.filter(pk=newer.pk).update(
        reviewed_at=packet.uploaded_at + timezone.timedelta(minutes=5)
    )
    accepted = timezone.localtime(packet.uploaded_at + timezone.timedelta(minutes=5))
    assert packet_blockers(case) == [
        (
            f"Build the application packet: the newest one (v1) predates the genetic report v2 "
            f"accepted on {accepted:%d %b %Y at %H:%M}."
        )
    ]
    packet_build(case=case, kind="application", by=facilitator)
    Document.objects.filter(pk=newer.pk).update(reviewed_at=packet.uploaded_at)
    assert packet_blockers(case) == []


# --- Views -------------------------------------------------------------------------------------


def test_facilitator_queues_a_build_from_the_case_page(
    client, case, facilitator, django_capture_on_commit_callbacks
):
    client.force_login(facilitator)
    with (
        mock.patch.object(build_packet_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("documents:packet_build", args=[case.pk, "application"]))
    build = PacketBuild.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/admin/cases/case/{case.pk}/change/#npp-packets")
    delay.assert_called_once_with(build.pk)


def test_progress_endpoint_reports_the_build(client, case, facilitator, queued, no_weasyprint):
    client.force_login(facilitator)
    url = reverse("documents:packet_build_status", args=[queued.pk])
    assert client.get(url).json() == {
        "status": "queued",
        "progress": 0,
        "step": "Waiting for a worker",
        "error": "",
        "download_url": "",
    }
    build_packet_task.apply(args=[queued.pk])
    data = client.get(url).json()
    assert (data["status"], data["progress"]) == ("done", 100)
    assert data["download_url"] == reverse(
        "documents:download", args=[latest_packet(case, "application").pk]
    )
    assert client.get(data["download_url"]).status_code == 200


@pytest.mark.parametrize("who", ["doctor1", "hospital1", "staff_non_facilitator", "anonymous"])
def test_only_facilitators_reach_the_packet_views(client, case_a, who, request):
    case = case_a
    queued = PacketBuild.objects.create(case=case, kind="application")
    if who == "staff_non_facilitator":
        client.force_login(factories.UserFactory(username="staffer", is_staff=True))
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    build_url = reverse("documents:packet_build", args=[case.pk, "customs"])
    assert client.post(build_url).status_code == 403
    assert client.get(reverse("documents:packet_build_status", args=[queued.pk])).status_code == 403
    assert PacketBuild.objects.filter(case=case).count() == 1


def test_unknown_kind_and_get_are_refused(client, case_a, facilitator):
    case = case_a
    client.force_login(facilitator)
    assert (
        client.post(reverse("documents:packet_build", args=[case.pk, "other"])).status_code == 403
    )
    assert (
        client.get(reverse("documents:packet_build", args=[case.pk, "application"])).status_code
        == 405
    )


def test_changelist_action_queues_a_build_per_selected_case(
    rf, case, case_b, facilitator, django_capture_on_commit_callbacks
):
    from cases.models import Case
    from documents.packets.views import build_application_packets

    modeladmin = mock.Mock()
    request = rf.post("/admin/cases/case/")
    request.user = facilitator
    case_c = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), "documents", facilitator
    )
    factories.give_documents(case_c, "regulatory_review", facilitator)
    with (
        mock.patch.object(build_packet_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        build_application_packets(
            modeladmin, request, Case.objects.filter(pk__in=[case.pk, case_b.pk, case_c.pk])
        )
    assert delay.call_count == 2
    assert PacketBuild.objects.filter(kind="application").count() == 2
    # case_b has none of its documents: said at once, nothing queued for it.
    messages = [c.args[1] for c in modeladmin.message_user.call_args_list]
    assert any(
        m.startswith(
            f"{case_b.reference}: The application packet needs every document accepted first."
        )
        for m in messages
    ), messages
    assert "2 build(s) queued" in messages[-1]


def test_a_build_with_known_blockers_is_refused_up_front_and_queues_nothing(
    client, case_b, facilitator
):
    client.force_login(facilitator)
    case = factories.walk_to(case_b, "documents", facilitator)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Cannot be built yet" in page
    assert "Build application packet" not in page

    response = client.post(
        reverse("documents:packet_build", args=[case.pk, "application"]), follow=True
    )

    assert (
        "Application packet not built: The application packet needs every document accepted "
        "first." in response.content.decode()
    )
    assert not PacketBuild.objects.filter(case=case).exists()


def test_case_page_shows_buttons_progress_bar_and_script(client, case, facilitator, queued):
    PacketBuild.objects.filter(pk=queued.pk).update(
        status=BuildStatus.RUNNING, progress=40, step="Laying out the pages"
    )
    client.force_login(facilitator)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Build application packet" in page
    assert "Cannot be built yet" in page  # the customs packet: its documents come later
    assert re.search(r'<progress class="npp-packet-progress" max="100" value="40"', page)
    assert (
        f'data-npp-packet-status-url="{reverse("documents:packet_build_status", args=[queued.pk])}"'
        in page
    )
    assert '<script src="/static/npp/packets.js" defer></script>' in page
    assert "40%: Laying out the pages" in page


def test_case_page_lists_the_latest_packets_with_their_hash(
    client, case, facilitator, queued, no_weasyprint
):
    build_packet_task.apply(args=[queued.pk])
    packet = latest_packet(case, "application")
    client.force_login(facilitator)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert f"<code>{packet.sha256}</code>" in page
    assert reverse("documents:download", args=[packet.pk]) in page


# --- The command ---------------------------------------------------------------------------


def test_build_packet_command_writes_the_pdf_and_reports_it(case, tmp_path, capsys, no_weasyprint):
    out = tmp_path / "packet.pdf"
    call_command("build_packet", case.reference, "--kind", "application", "--out", str(out))
    packet = latest_packet(case, "application")
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(out), f"{packet.page_count} pages", f"SHA-256 {packet.sha256}"]
    assert hashlib.sha256(out.read_bytes()).hexdigest() == packet.sha256


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NPP-1999-9999", "--kind", "application"], "No case has the reference"),
        (["{ref}", "--kind", "invoice"], "Unknown kind 'invoice'"),
        (["{ref}", "--kind", "customs"], "(?i)air waybill"),
        (["{ref}", "--kind", "application", "--user", "nobody"], "No user is called 'nobody'"),
    ],
)
def test_build_packet_command_errors_are_clear(case_a, args, message, no_weasyprint):
    case = case_a
    args = [a.format(ref=case.reference) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("build_packet", *args)
