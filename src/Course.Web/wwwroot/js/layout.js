// The static layout's two toggles (MainLayout.razor). Each keeps its state in a cookie the layout reads, so the next
// page, enhanced navigation included, is drawn the same way. Delegated from the document: enhanced navigation
// replaces the buttons.
const setCookie = (name, value) => { document.cookie = `${name}=${value}; path=/; max-age=31536000; samesite=lax`; };
const cookie = name => document.cookie.split('; ').find(c => c.startsWith(name + '='))?.slice(name.length + 1);

document.addEventListener('click', event => {
    const toggle = event.target.closest('[data-toggle]');
    if (toggle?.dataset.toggle === 'drawer') {
        const layout = document.querySelector('.mud-layout');
        if (window.matchMedia('(max-width: 959.98px)').matches) {
            // A narrow screen opens the drawer over the page until the next page: not remembered (app.css).
            layout.classList.remove('drawer-closed');
            layout.classList.toggle('drawer-open');
        } else {
            setCookie('drawer', layout.classList.toggle('drawer-closed') ? 'closed' : 'open');
        }
    } else if (toggle?.dataset.toggle === 'theme') {
        // MudBlazor's palette is a style element the server draws for the chosen mode.
        setCookie('theme', cookie('theme') === 'dark' ? 'light' : 'dark');
        location.reload();
    }
});

// A first visit follows the system's preference; the page is drawn light until the cookie says otherwise.
if (cookie('theme') === undefined) {
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    setCookie('theme', dark ? 'dark' : 'light');
    if (dark) location.reload();
}
