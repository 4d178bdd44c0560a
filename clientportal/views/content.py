from django.shortcuts import render

from branding.access import access_content_page
from branding.selectors import announcements_current, disclosures_live, faqs_live
from clientportal.scope import portal_page


@portal_page
def content_index(request):
    context = {
        "announcements": announcements_current(limit=20),
        "disclosures": disclosures_live(region=request.tenant.country),
        "faqs": faqs_live(),
    }
    return render(request, "clientportal/content_index.html", context)


@portal_page
def content_detail(request, page_id: int):
    page = access_content_page(page_id=page_id)
    context = {"page": page}
    return render(request, "branding/content_page.html", context)
