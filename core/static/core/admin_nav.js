'use strict';
// The admin's nav sidebar starts closed (Django opens it by default), so the queue
// columns get the page's whole width; its toggle still opens it and is remembered.
if (window.localStorage && localStorage.getItem('django.admin.navSidebarIsOpen') === null) {
  localStorage.setItem('django.admin.navSidebarIsOpen', 'false');
}
