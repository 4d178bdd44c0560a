from django.http import HttpResponse

from brokerportal import csvsafe


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csvsafe.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
