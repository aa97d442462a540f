from django.urls import path

from clinic import views

app_name = "clinic"

urlpatterns = [
    # Patients: sharing and their own data
    path("sharing/", views.sharing, name="sharing"),
    path("sharing/grant/", views.grant, name="grant"),
    path("sharing/invitations/<int:invitation_id>/", views.invitation, name="invitation"),
    path("sharing/<int:grant_id>/revoke/", views.revoke, name="revoke"),
    path("my-data/", views.my_data, name="my-data"),
    path("my-data/erase/", views.erase, name="erase"),
    # Clinicians
    path("", views.dashboard, name="dashboard"),
    path("code/", views.regenerate_code, name="regenerate-code"),
    path("invite/", views.invite, name="invite"),
    # A patient's data: the patient themself or a clinician with an active grant (clinic.access).
    path("patients/<int:patient_id>/", views.patient_review, name="patient"),
    path("patients/<int:patient_id>/export/<str:fmt>/", views.patient_export, name="export"),
    path("patients/<int:patient_id>/report/", views.patient_report, name="report"),
    path("patients/<int:patient_id>/notes/", views.note_add, name="note-add"),
    path("patients/<int:patient_id>/notes/<int:note_id>/", views.note_edit, name="note-edit"),
    path("patients/<int:patient_id>/edss/", views.edss_add, name="edss-add"),
    path("patients/<int:patient_id>/edss/<int:edss_id>/", views.edss_edit, name="edss-edit"),
    path("patients/<int:patient_id>/relapses/<int:relapse_id>/review/", views.relapse_review, name="relapse-review"),
]
