from django.contrib import messages as flash
from django.shortcuts import redirect, render

from clientportal import services
from clientportal.access import access_thread
from clientportal.forms import NewThreadForm, ReplyForm
from clientportal.scope import portal_page
from clientportal.selectors import thread_messages, threads_for_client


@portal_page
def messages_index(request):
    form = NewThreadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        thread = services.message_thread_start(
            client=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        flash.success(request, "Your message was sent.")
        return redirect("clientportal:message_thread", thread_id=thread.pk)
    context = {
        "threads": threads_for_client(user=request.user),
        "form": form,
    }
    return render(request, "clientportal/messages.html", context)


@portal_page
def message_thread(request, thread_id: int):
    thread = access_thread(user=request.user, thread_id=thread_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.message_post(
            thread=thread, sender=request.user, body=form.cleaned_data["body"], from_staff=False
        )
        return redirect("clientportal:message_thread", thread_id=thread.pk)
    items = list(thread_messages(thread=thread))
    services.thread_read_mark(thread=thread, by_staff=False)
    context = {"thread": thread, "items": items, "form": form}
    return render(request, "clientportal/message_thread.html", context)
