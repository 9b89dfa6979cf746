// Tipline sandbox page: phone-like chat panels that play Telegram users
// against the bot, through the Bot API emulator's control API (/_emulator/)
// on the same origin.
//
// Message text comes from the bot and from whoever types here, so it only
// ever reaches the page through textContent and attributes set one by one;
// the Go tests fail if this file starts building markup from strings.
"use strict";

const POLL_MS = 700;
// The emulator can hold a messages request until the chat changes; the page
// asks it to wait this long, and still polls every POLL_MS if it does not.
const WAIT_SECONDS = 20;
const STORAGE_KEY = "tipline-sandbox-v1";

// The default reporter; fresh ids count up from here.
const DEFAULT_REPORTER = { id: 1001, firstName: "Sandbox reporter", languageCode: "en" };

// The reviewer `tipline sandbox` registers and puts on call around the clock.
const SANDBOX_REVIEWER = { id: 2001, firstName: "Sandbox reviewer", languageCode: "en" };

// A case reference as the bot writes it, e.g. TL-7K3Q-9XDM.
const REFERENCE_RE = /TL-[0-9A-Z]{4}-[0-9A-Z]{4}/g;

// Places reporters in the field would send: markets, border crossings,
// destinations and stations in Cambodia and Thailand.
const SAMPLE_PLACES = [
  { name: "Phnom Penh Central Market", lat: 11.5696, lon: 104.921 },
  { name: "Poipet border crossing", lat: 13.6586, lon: 102.5625 },
  { name: "Pattaya Walking Street", lat: 12.9271, lon: 100.8724 },
  { name: "Bangkok Hua Lamphong", lat: 13.7388, lon: 100.517 },
];

// ---------------------------------------------------------------------------
// The emulator's control API.

class APIError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// request calls the control API and returns its decoded JSON answer, or
// throws an APIError whose message says what the emulator said.
async function request(method, path, body, signal) {
  const init = { method, signal, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new APIError(`cannot reach the sandbox (${path}): is tipline sandbox still running?`, 0);
  }
  const raw = await res.text();
  let data = null;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch {
    data = null;
  }
  if (!res.ok || (data && data.ok === false)) {
    const said =
      (data && (data.description || data.error || data.message)) || raw.trim().slice(0, 300) || res.statusText;
    throw new APIError(`${method} ${path.split("?")[0]}: ${res.status} ${said}`, res.status);
  }
  // Bot-API-shaped answers wrap the value in {ok, result}.
  if (data && data.ok === true && "result" in data) return data.result;
  return data;
}

function form(fields) {
  const fd = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null || value === "") continue;
    if (value instanceof Blob) fd.append(name, value, value.name || name);
    else fd.append(name, String(value));
  }
  return fd;
}

const emulator = {
  registerUser(user) {
    const body = { id: user.id, first_name: user.firstName, username: user.username };
    if (user.languageCode) body.language_code = user.languageCode;
    return request("POST", "/_emulator/users", body);
  },
  sendText(userId, text) {
    return request("POST", "/_emulator/send", { user_id: userId, text });
  },
  press(userId, messageId, data) {
    return request("POST", "/_emulator/press", { user_id: userId, message_id: messageId, data });
  },
  sendLocation(userId, lat, lon) {
    return request("POST", "/_emulator/location", { user_id: userId, lat, lon });
  },
  sendPhoto(userId, file, caption) {
    return request("POST", "/_emulator/photo", form({ user_id: userId, file, caption }));
  },
  sendVoice(userId, file, seconds) {
    return request("POST", "/_emulator/voice", form({ user_id: userId, file, seconds }));
  },
  // messages returns {version, messages}; given the version the page has,
  // the emulator answers when the chat's version differs from it.
  messages(chatId, version, signal) {
    let path = `/_emulator/messages?chat_id=${encodeURIComponent(chatId)}`;
    if (Number.isSafeInteger(version)) path += `&version=${version}&wait=${WAIT_SECONDS}`;
    return request("GET", path, undefined, signal);
  },
  fileURL(fileId) {
    return `/_emulator/files/${encodeURIComponent(fileId)}`;
  },
};

// ---------------------------------------------------------------------------
// The people the sandbox plays, kept in localStorage so a reload shows the
// same chats. The emulator forgets them when the sandbox stops; panels
// register a user again the first time they show it after a page load.

class Directory {
  constructor() {
    this.state = { users: [], nextId: DEFAULT_REPORTER.id, selected: {} };
    try {
      const saved = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.users)) {
        this.state.users = saved.users.filter((u) => u && Number.isSafeInteger(u.id));
        this.state.nextId = Number.isSafeInteger(saved.nextId) ? saved.nextId : this.state.nextId;
        this.state.selected = saved.selected && typeof saved.selected === "object" ? saved.selected : {};
      }
    } catch {
      // No storage (private window) or a damaged entry: start afresh.
    }
  }

  save() {
    try {
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(this.state));
    } catch {
      // Storage is a convenience; the sandbox works without it.
    }
  }

  byRole(role) {
    return this.state.users.filter((u) => u.role === role);
  }

  get(id) {
    return this.state.users.find((u) => u.id === id);
  }

  // ensure returns the user with this id, adding it if it is new. A fixed
  // user (the sandbox's reviewer) keeps its id out of the reporters' count.
  ensure(user) {
    const known = this.get(user.id);
    if (known) return known;
    this.state.users.push(user);
    if (!user.fixed) this.state.nextId = Math.max(this.state.nextId, user.id + 1);
    this.save();
    return user;
  }

  // create adds a user with an id no one in this sandbox had, so a tester
  // can check that a new reporter is a stranger to the bot.
  create(role, label, languageCode) {
    const used = this.byRole(role).reduce((max, u) => Math.max(max, u.id), 0);
    let id = Math.max(this.state.nextId, used + 1);
    while (this.get(id)) id++;
    return this.ensure({
      id,
      role,
      firstName: `${label} ${id}`,
      username: `sandbox_${id}`,
      languageCode,
    });
  }

  selected(panelKey) {
    return this.get(this.state.selected[panelKey]);
  }

  select(panelKey, id) {
    this.state.selected[panelKey] = id;
    this.save();
  }
}

// ---------------------------------------------------------------------------
// Small DOM helpers.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function part(root, selector) {
  const node = root.querySelector(selector);
  if (!node) throw new Error(`sandbox page: ${selector} missing from the panel template`);
  return node;
}

// actionOf is the action of a button's callback data: the bot signs its
// buttons as "ACTION~SIGNATURE".
function actionOf(data) {
  const i = data.lastIndexOf("~");
  const signed = i > 0 ? data.slice(0, i) : data;
  // Reviewer buttons carry "!VERSION!EXPIRY" after the action.
  const j = signed.indexOf("!");
  return j > 0 ? signed.slice(0, j) : signed;
}

// referencesIn lists the case references in a string, each once.
function referencesIn(text) {
  return [...new Set(String(text || "").match(REFERENCE_RE) || [])];
}

// referencesOf lists the cases a message is about: references in its text
// and in the actions of its buttons (not in their signatures).
function referencesOf(m) {
  const refs = new Set(referencesIn(m.text || m.caption));
  for (const row of Array.isArray(m.buttons) ? m.buttons : []) {
    for (const b of Array.isArray(row) ? row : []) {
      const data = b && (b.data ?? b.callback_data);
      if (data) for (const ref of referencesIn(actionOf(String(data)))) refs.add(ref);
    }
  }
  return [...refs];
}

// textWithReferences is text as nodes, each case reference in a chip that
// marks the case on both phones when tapped.
function textWithReferences(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(REFERENCE_RE)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const chip = el("span", "ref", match[0]);
    chip.dataset.ref = match[0];
    chip.title = "Mark this case on both phones";
    nodes.push(chip);
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  if (nodes.length === 1) return nodes[0];
  const fragment = document.createDocumentFragment();
  fragment.append(...nodes);
  return fragment;
}

const LANGUAGE_NAMES = { km: "Khmer", th: "Thai", en: "English" };

// languageName is how the page names a Telegram language_code.
function languageName(code) {
  return LANGUAGE_NAMES[code] || (code ? code : "no language");
}

function coordinate(x) {
  const n = Number(x);
  return Number.isFinite(n) ? String(Math.round(n * 1e6) / 1e6) : "?";
}

// parseLatLon reads "lat, lon" (comma, space or both between the numbers).
function parseLatLon(input) {
  const parts = input.trim().split(/[\s,;]+/).filter(Boolean);
  if (parts.length !== 2) return null;
  const lat = Number(parts[0]);
  const lon = Number(parts[1]);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
  return { lat, lon };
}

// fileIdOf finds a file id whether the emulator gives a file id string, a
// Telegram-style object or array of sizes (largest last), or only file_id.
function fileIdOf(value, fallback) {
  if (typeof value === "string" && value) return value;
  if (Array.isArray(value) && value.length) return fileIdOf(value[value.length - 1], fallback);
  if (value && typeof value === "object" && typeof value.file_id === "string") return value.file_id;
  return fallback || "";
}

// safeLink allows the links a bot may send on a URL button.
function safeLink(url) {
  try {
    const u = new URL(String(url), window.location.href);
    return ["http:", "https:", "tg:", "mailto:", "tel:"].includes(u.protocol) ? u.href : "";
  } catch {
    return "";
  }
}

// timeOf shows a message date, given as an RFC 3339 string (the emulator)
// or Unix seconds (the Bot API).
function timeOf(date) {
  const d = typeof date === "number" ? new Date(date * 1000) : new Date(String(date ?? ""));
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return "";
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// Formatting the bot asked for (parse_mode HTML and the like), as the
// emulator reports it: Telegram's entities, with offsets in UTF-16 code
// units, which is how JavaScript strings count.
const ENTITY_TAGS = {
  bold: "strong",
  italic: "em",
  underline: "u",
  strikethrough: "s",
  code: "code",
  pre: "code",
  spoiler: "span",
  blockquote: "span",
  expandable_blockquote: "span",
  text_link: "a",
  url: "a",
};

// formattedText builds the nodes for text with its entities. Entities may
// nest, so the text is cut at every entity edge and each piece is wrapped
// in the elements of the entities that cover it.
function formattedText(text, entities) {
  const usable = (Array.isArray(entities) ? entities : []).filter(
    (e) => e && ENTITY_TAGS[e.type] && e.length > 0 && e.offset >= 0 && e.offset < text.length,
  );
  if (usable.length === 0) return [textWithReferences(text)];
  const cuts = new Set([0, text.length]);
  for (const e of usable) {
    cuts.add(e.offset);
    cuts.add(Math.min(e.offset + e.length, text.length));
  }
  const edges = [...cuts].sort((a, b) => a - b);
  const nodes = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const from = edges[i];
    const to = edges[i + 1];
    const piece = text.slice(from, to);
    let node = textWithReferences(piece);
    for (const e of usable) {
      if (e.offset > from || e.offset + e.length < to) continue;
      const wrap = el(ENTITY_TAGS[e.type], `entity-${e.type}`);
      if (e.type === "text_link" || e.type === "url") {
        const href = safeLink(e.type === "url" ? text.slice(e.offset, e.offset + e.length) : e.url);
        if (href) {
          wrap.href = href;
          wrap.target = "_blank";
          wrap.rel = "noopener noreferrer";
        }
      }
      wrap.append(node);
      node = wrap;
    }
    nodes.push(node);
  }
  return nodes;
}

// fakeVoiceNote is a few bytes that start like an Ogg page: enough for the
// bot to store and forward as a voice note, not playable audio.
function fakeVoiceNote() {
  const bytes = new Uint8Array(64);
  bytes.set([0x4f, 0x67, 0x67, 0x53, 0x00, 0x02]); // "OggS", version 0, first page
  for (let i = 6; i < bytes.length; i++) bytes[i] = (i * 37) & 0xff;
  return new File([bytes], "fake-voice.ogg", { type: "audio/ogg" });
}

// audioSeconds asks the browser how long an audio file is; 1 when it cannot
// tell within a second or two.
function audioSeconds(file) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const audio = new Audio();
    const done = (seconds) => {
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(seconds) && seconds > 0 ? Math.max(1, Math.round(seconds)) : 1);
    };
    const timer = setTimeout(() => done(NaN), 2000);
    audio.preload = "metadata";
    audio.addEventListener("loadedmetadata", () => {
      clearTimeout(timer);
      done(audio.duration);
    });
    audio.addEventListener("error", () => {
      clearTimeout(timer);
      done(NaN);
    });
    audio.src = url;
  });
}

// ---------------------------------------------------------------------------
// PhonePanel is one phone: a Telegram user and their private chat with the
// bot (the private chat id is the user id).

class PhonePanel {
  // options:
  //   title, userId, languageCode, firstName, role ("reporter"), directory;
  //   fixed (false): the phone always holds this user, with no user or
  //     language controls (the sandbox's reviewer);
  //   canCreateUsers (true unless fixed): the "New <role>" button;
  //   quickCommands (["/start"]): one-tap commands beside the composer;
  //   attachments (true): the 📎 menu for photos, voice notes, locations;
  //   microphone (false): a 🎙 button that records a voice message with the
  //     browser's microphone (the sandbox's admin records the questions);
  //   emptyText, about: what the empty chat and the bar above the phone say;
  //   onRender(panel, messages): called with what the chat shows now;
  //   onReference(ref): called when a case reference is tapped.
  constructor(options) {
    this.title = options.title;
    this.role = options.role || "reporter";
    this.fixed = Boolean(options.fixed);
    this.canCreateUsers = !this.fixed && options.canCreateUsers !== false;
    this.quickCommands = options.quickCommands || ["/start"];
    this.attachments = options.attachments !== false;
    this.microphone = Boolean(options.microphone);
    this.emptyText = options.emptyText || "No messages yet. Press /start to begin.";
    this.about = options.about || "";
    this.onRender = options.onRender || (() => {});
    this.onReference = options.onReference || (() => {});
    this.directory = options.directory;
    this.key = `panel:${this.title}`;

    const given = this.directory.ensure({
      id: options.userId,
      role: this.role,
      firstName: options.firstName || `${this.title} ${options.userId}`,
      username: `sandbox_${options.userId}`,
      languageCode: options.languageCode || "",
      fixed: this.fixed || undefined,
    });
    this.user = (!this.fixed && this.directory.selected(this.key)) || given;

    this.registered = new Set(); // user ids registered since the page loaded
    this.rendered = new Map(); // message id -> { el, sig }
    this.version = undefined;
    this.generation = 0; // bumped on every user switch; stale polls are dropped
    this.timer = 0;
    this.inFlight = false;
    this.abort = null; // the messages request in flight
    this.again = false;
    this.registering = false;
    this.ready = Promise.resolve(); // settles once the user is registered
    this.pinned = true; // the message list is scrolled to the bottom
    this.errorFrom = ""; // "poll" or "action"
    this.focusRef = ""; // the case marked on the page, if any

    this.build();
  }

  build() {
    const template = document.getElementById("panel-template");
    this.root = template.content.firstElementChild.cloneNode(true);
    const r = this.root;
    r.dataset.role = this.role;
    if (this.fixed) r.dataset.fixed = "true";
    const title = part(r, ".panel-title");
    title.textContent = this.title;
    // Each phone is a named region, and its chat a named log.
    title.id = `panel-title-${this.role}`;
    r.setAttribute("aria-labelledby", title.id);
    this.userSelect = part(r, ".user-select");
    this.newUserButton = part(r, ".new-user");
    this.langSelect = part(r, ".lang-select");
    this.userInfo = part(r, ".user-info");
    this.list = part(r, ".messages");
    this.emptyNote = part(r, ".empty");
    this.errorLine = part(r, ".error");
    this.menu = part(r, ".attach-menu");
    this.composer = part(r, ".composer");
    this.textBox = part(r, ".text");
    this.attachButton = part(r, ".attach");
    this.list.setAttribute("aria-label", `Chat on the ${this.role}'s phone`);
    this.textBox.setAttribute("aria-label", `Message from the ${this.role}`);

    this.newUserButton.textContent = `New ${this.role}`;
    this.newUserButton.hidden = !this.canCreateUsers;
    this.langSelect.disabled = !this.canCreateUsers;
    // A fixed phone is one person's: nobody to switch to, and their
    // language_code is part of who they are.
    part(r, ".user-control").hidden = this.fixed;
    part(r, ".lang-control").hidden = this.fixed;
    part(r, ".lang-note").hidden = this.fixed;
    this.emptyNote.textContent = this.emptyText;
    this.attachButton.hidden = !this.attachments;
    if (this.microphone) this.mountMicrophone(r);

    this.userSelect.addEventListener("change", () => {
      const user = this.directory.get(Number(this.userSelect.value));
      if (user) this.show(user);
    });
    this.newUserButton.addEventListener("click", () => this.createUser(this.langSelect.value));
    // A Telegram user's language_code is fixed by their phone, so another
    // language means another user.
    this.langSelect.addEventListener("change", () => this.createUser(this.langSelect.value));

    this.list.addEventListener("scroll", () => {
      this.pinned = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    });
    this.list.addEventListener("click", (e) => {
      const chip = e.target instanceof Element ? e.target.closest(".ref") : null;
      if (chip) this.onReference(chip.dataset.ref);
    });

    this.composer.addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendTyped();
    });
    this.textBox.addEventListener("keydown", (e) => {
      // Enter sends, Shift+Enter is a new line; Enter that ends a Khmer or
      // Thai input-method composition is not a send.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendTyped();
      }
    });
    this.textBox.addEventListener("input", () => this.fitTextBox());
    // One button per quick command, made from the template's /start.
    const quick = part(r, ".quick-start");
    part(r, ".quick-commands").replaceChildren(
      ...this.quickCommands.map((command) => {
        const b = quick.cloneNode(false);
        b.textContent = command;
        b.dataset.command = command;
        b.title = `Send ${command}`;
        b.addEventListener("click", () => this.act(() => emulator.sendText(this.user.id, command)));
        return b;
      }),
    );
    this.attachButton.addEventListener("click", () => this.toggleMenu());

    const photoFile = part(r, ".photo-file");
    const photoCaption = part(r, ".photo-caption");
    part(r, ".send-photo").addEventListener("click", () => {
      const file = photoFile.files[0];
      if (!file) return this.showError("Choose a photo first.", "action");
      this.act(async () => {
        await emulator.sendPhoto(this.user.id, file, photoCaption.value);
        photoFile.value = "";
        photoCaption.value = "";
        this.toggleMenu(false);
      });
    });

    const voiceFile = part(r, ".voice-file");
    part(r, ".send-voice").addEventListener("click", () => {
      const file = voiceFile.files[0];
      if (!file) return this.showError("Choose an audio file first.", "action");
      this.act(async () => {
        await emulator.sendVoice(this.user.id, file, await audioSeconds(file));
        voiceFile.value = "";
        this.toggleMenu(false);
      });
    });
    part(r, ".fake-voice").addEventListener("click", () =>
      this.act(async () => {
        await emulator.sendVoice(this.user.id, fakeVoiceNote(), 3);
        this.toggleMenu(false);
      }),
    );

    const locationText = part(r, ".location-text");
    const sendLocation = () => {
      const at = parseLatLon(locationText.value);
      if (!at) return this.showError('Type a location as "lat, lon", for example 11.5696, 104.9210.', "action");
      this.act(async () => {
        await emulator.sendLocation(this.user.id, at.lat, at.lon);
        locationText.value = "";
        this.toggleMenu(false);
      });
    };
    part(r, ".send-location").addEventListener("click", sendLocation);
    locationText.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.isComposing) {
        e.preventDefault();
        sendLocation();
      }
    });
    const places = part(r, ".places");
    for (const place of SAMPLE_PLACES) {
      const b = el("button", "place", `📍 ${place.name}`);
      b.type = "button";
      b.title = `${place.lat}, ${place.lon}`;
      b.addEventListener("click", () =>
        this.act(async () => {
          await emulator.sendLocation(this.user.id, place.lat, place.lon);
          this.toggleMenu(false);
        }),
      );
      places.append(b);
    }

    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.pollNow();
    });
  }

  // mount puts the phone in container, before the node before if given.
  mount(container, before) {
    container.insertBefore(this.root, before || null);
    this.show(this.user);
  }

  // show switches the phone to user: registers them with the emulator if
  // this page has not yet, and shows their chat.
  async show(user) {
    this.user = user;
    this.directory.select(this.key, user.id);
    this.generation++;
    this.registering = false;
    if (this.abort) this.abort.abort();
    this.version = undefined;
    this.rendered.clear();
    this.list.replaceChildren(this.emptyNote);
    this.pinned = true;
    this.clearError();
    this.fillControls();

    const gen = this.generation;
    this.ready = this.register(user, gen);
    await this.ready;
    if (gen === this.generation) this.pollNow();
  }

  // register adds user to the emulator once per page load. Actions wait for
  // it (this.ready), so a tap right after switching users is not refused.
  async register(user, gen) {
    if (this.registered.has(user.id)) return;
    // No polling meanwhile: the emulator refuses to list the chat of a
    // user it does not know yet.
    this.registering = true;
    try {
      // Adding a user again only updates them, so a reload is harmless.
      await emulator.registerUser(user);
      this.registered.add(user.id);
    } catch (err) {
      if (gen === this.generation) this.showError(err.message, "action");
    } finally {
      if (gen === this.generation) this.registering = false;
    }
  }

  async createUser(languageCode) {
    const label = this.role === "reporter" ? "Reporter" : this.title;
    const user = this.directory.create(this.role, label, languageCode);
    await this.show(user);
    this.textBox.focus();
  }

  fillControls() {
    const options = this.directory.byRole(this.role).map((u) => {
      const o = el("option", "", `${u.firstName} · ${languageName(u.languageCode)}`);
      o.value = String(u.id);
      o.selected = u.id === this.user.id;
      return o;
    });
    this.userSelect.replaceChildren(...options);
    this.langSelect.value = this.user.languageCode || "";
    // No developer details (ids, language_code) on the phones: the person
    // trying the sandbox plays a reporter, not a Telegram client.
    this.userInfo.textContent = this.about;
    this.userInfo.hidden = !this.about;
    this.root.dataset.userId = String(this.user.id);
    this.list.lang = this.user.languageCode || "";
  }

  fitTextBox() {
    this.textBox.style.height = "auto";
    this.textBox.style.height = `${Math.min(this.textBox.scrollHeight, 120)}px`;
  }

  toggleMenu(open) {
    const show = open === undefined ? this.menu.hidden : open;
    this.menu.hidden = !show;
    this.attachButton.setAttribute("aria-expanded", String(show));
  }

  sendTyped() {
    const text = this.textBox.value;
    if (!text.trim()) return;
    this.act(async () => {
      await emulator.sendText(this.user.id, text);
      // Keep what was typed if sending failed; clear it once it is sent.
      if (this.textBox.value === text) this.textBox.value = "";
      this.fitTextBox();
    });
  }

  // mountMicrophone adds the 🎙 button before the message box: a first tap
  // starts recording from the browser's microphone, a second sends what
  // was recorded as a voice message, as Telegram's hold-to-record does.
  mountMicrophone(r) {
    const mic = el("button", "record-voice", "🎙");
    mic.type = "button";
    mic.dataset.testid = "record-voice";
    mic.title = "Record a voice message with the microphone";
    mic.setAttribute("aria-label", "Record a voice message");
    let recorder = null;
    let chunks = [];
    let started = 0;
    mic.addEventListener("click", () => {
      if (recorder) {
        recorder.stop();
        return;
      }
      this.act(async () => {
        const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        recorder = new MediaRecorder(stream);
        chunks = [];
        started = Date.now();
        recorder.addEventListener("dataavailable", (e) => {
          if (e.data.size > 0) chunks.push(e.data);
        });
        recorder.addEventListener("stop", () => {
          for (const t of stream.getTracks()) t.stop();
          recorder = null;
          mic.textContent = "🎙";
          mic.classList.remove("recording");
          const seconds = Math.max(1, Math.round((Date.now() - started) / 1000));
          const file = new File(chunks, "recording.ogg", { type: "audio/ogg" });
          this.act(() => emulator.sendVoice(this.user.id, file, seconds));
        });
        recorder.start();
        mic.textContent = "⏹";
        mic.classList.add("recording");
      });
    });
    this.textBox.before(mic);
  }

  // act runs one user action, shows its error if it fails, and polls at once
  // so the bot's answer appears without waiting for the next tick.
  async act(fn) {
    const gen = this.generation;
    try {
      await this.ready;
      await fn();
      if (gen === this.generation && this.errorFrom === "action") this.clearError();
      this.pinned = true;
    } catch (err) {
      if (gen === this.generation) this.showError(err.message || String(err), "action");
    }
    this.pollNow();
  }

  async press(messageId, data, button) {
    button.disabled = true;
    await this.act(() => emulator.press(this.user.id, messageId, data));
    button.disabled = false;
  }

  showError(message, from) {
    this.errorFrom = from;
    this.errorLine.textContent = message;
    this.errorLine.hidden = false;
  }

  clearError() {
    this.errorFrom = "";
    this.errorLine.textContent = "";
    this.errorLine.hidden = true;
  }

  // Polling: one request at a time; pollNow asks for another right after
  // the one in flight. The request waits in the emulator until the chat
  // changes, so the bot's answers appear as soon as they are sent.

  pollNow() {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.poll();
  }

  async poll() {
    if (this.registering) return; // show polls once the user is added
    if (document.hidden) {
      this.timer = setTimeout(() => this.poll(), POLL_MS);
      return;
    }
    this.inFlight = true;
    const gen = this.generation;
    const started = Date.now();
    let changed = false;
    let failed = false;
    this.abort = new AbortController();
    try {
      const answer = await emulator.messages(this.user.id, this.version, this.abort.signal);
      if (gen === this.generation) {
        const messages = Array.isArray(answer) ? answer : (answer && answer.messages) || [];
        const version = answer && !Array.isArray(answer) ? answer.version : undefined;
        if (version === undefined || version !== this.version) {
          changed = true;
          this.version = version;
          this.render(messages);
        }
        if (this.errorFrom === "poll") this.clearError();
      }
    } catch (err) {
      failed = true;
      if (err.name !== "AbortError" && gen === this.generation && this.errorFrom !== "action") {
        this.showError(err.message, "poll");
      }
    } finally {
      this.inFlight = false;
      this.abort = null;
      clearTimeout(this.timer);
      // Straight on after a change, a switch or an action; otherwise no more
      // often than every POLL_MS, should the emulator not wait.
      let delay = Math.max(0, POLL_MS - (Date.now() - started));
      if (this.again || gen !== this.generation || (changed && !failed)) delay = 0;
      if (failed && gen === this.generation) delay = POLL_MS;
      this.again = false;
      this.timer = setTimeout(() => this.poll(), delay);
    }
  }

  // render brings the list in line with messages, keyed by message id:
  // unchanged messages keep their element (and loaded photo), edited ones
  // are redrawn in place, deleted ones removed.
  render(messages) {
    const visible = messages
      .filter((m) => m && !m.deleted)
      .slice()
      .sort((a, b) => Number(a.id) - Number(b.id));
    const seen = new Set();
    if (visible.length === 0) {
      this.list.replaceChildren(this.emptyNote);
      this.rendered.clear();
      this.onRender(this, visible);
      return;
    }
    this.emptyNote.remove();

    visible.forEach((m, i) => {
      const key = String(m.id);
      seen.add(key);
      const sig = JSON.stringify(m);
      let entry = this.rendered.get(key);
      if (!entry || entry.sig !== sig) {
        const node = this.renderMessage(m);
        if (entry) entry.el.replaceWith(node);
        entry = { el: node, sig };
        this.rendered.set(key, entry);
      }
      if (this.list.children[i] !== entry.el) this.list.insertBefore(entry.el, this.list.children[i] || null);
    });
    for (const [key, entry] of this.rendered) {
      if (!seen.has(key)) {
        entry.el.remove();
        this.rendered.delete(key);
      }
    }
    this.tabOnlyNewestKeyboard();
    if (this.pinned) this.scrollToEnd();
    this.onRender(this, visible);
  }

  // tabOnlyNewestKeyboard keeps the buttons of older messages out of the
  // Tab order: a keyboard user reaches the newest question's buttons, then
  // the composer, without walking through the whole chat. Older buttons
  // still work when tapped.
  tabOnlyNewestKeyboard() {
    const keyboards = [...this.list.querySelectorAll(".keyboard")];
    keyboards.forEach((kb, i) => {
      const old = i < keyboards.length - 1;
      kb.classList.toggle("old", old);
      for (const b of kb.querySelectorAll("button, a")) {
        if (old) b.tabIndex = -1;
        else b.removeAttribute("tabindex");
      }
    });
  }

  // setFocus marks the messages about one case, and scrolls the chat to the
  // latest of them; "" clears the mark and goes back to the newest message.
  setFocus(ref) {
    this.focusRef = ref;
    if (!ref) {
      for (const { el: node } of this.rendered.values()) node.classList.remove("in-focus");
      this.pinned = true;
      this.scrollToEnd();
      return;
    }
    let latest = null;
    for (const { el: node } of this.rendered.values()) {
      const on = (node.dataset.refs || "").split(" ").includes(ref);
      node.classList.toggle("in-focus", on);
      if (on && (!latest || Number(node.dataset.messageId) > Number(latest.dataset.messageId))) latest = node;
    }
    if (latest) {
      this.list.scrollTop = Math.max(0, latest.offsetTop - this.list.offsetTop - this.list.clientHeight / 3);
    }
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  renderMessage(m) {
    const fromBot = Boolean(m.from_bot);
    const wrap = el("div", `msg ${fromBot ? "bot" : "user"}`);
    wrap.dataset.testid = "message";
    wrap.dataset.from = fromBot ? "bot" : "user";
    wrap.dataset.messageId = String(m.id);
    const refs = referencesOf(m);
    if (refs.length) wrap.dataset.refs = refs.join(" ");
    if (this.focusRef && refs.includes(this.focusRef)) wrap.classList.add("in-focus");
    if (m.edited || m.edit_date) wrap.dataset.edited = "true";
    const bubble = el("div", "bubble");
    wrap.append(bubble);

    if (m.photo) {
      const id = fileIdOf(m.photo, m.file_id);
      const img = el("img", "msg-photo");
      img.alt = "photo";
      img.loading = "lazy";
      if (id) img.src = emulator.fileURL(id);
      img.addEventListener("load", () => {
        if (this.pinned) this.scrollToEnd();
      });
      bubble.append(img);
    }
    if (m.voice) {
      // A player, as Telegram shows one: the team's recorded questions
      // are heard here (the caption, their words, follows).
      const id = fileIdOf(m.voice, m.file_id);
      const voice = el("div", "msg-voice", "🎤 voice message");
      if (id) {
        const audio = el("audio", "msg-audio");
        audio.controls = true;
        audio.preload = "none";
        audio.src = emulator.fileURL(id);
        audio.dataset.testid = "voice-player";
        voice.append(audio);
      }
      bubble.append(voice);
    }
    if (m.video) bubble.append(el("div", "msg-media", "🎬 video"));
    if (m.document) bubble.append(el("div", "msg-media", `📄 ${m.file_name || "document"}`));
    if (m.sticker) bubble.append(el("div", "msg-media", "sticker"));
    if (m.location) {
      const lat = m.location.latitude ?? m.location.lat;
      const lon = m.location.longitude ?? m.location.lon;
      bubble.append(el("div", "msg-location", `📍 ${coordinate(lat)}, ${coordinate(lon)}`));
    }
    const text = String(m.text || m.caption || "");
    if (text) {
      const body = el("div", "msg-text");
      body.append(...formattedText(text, m.entities));
      bubble.append(body);
    }

    const meta = el("div", "meta");
    if (m.voice || m.video || m.document) {
      const id = fileIdOf(m.voice || m.video || m.document, m.file_id);
      if (id) {
        const a = el("a", "file-link", "file");
        a.href = emulator.fileURL(id);
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        meta.append(a);
      }
    }
    if (m.protect_content) {
      const lock = el("span", "protected", "🔒");
      lock.dataset.testid = "protected";
      lock.title = "Sent with protect_content: cannot be forwarded or saved";
      lock.setAttribute("aria-label", "protected content");
      meta.append(lock);
    }
    if (wrap.dataset.edited) meta.append(el("span", "edited", "edited"));
    const time = timeOf(m.date);
    if (time) meta.append(el("span", "time", time));
    bubble.append(meta);

    const rows = Array.isArray(m.buttons) ? m.buttons : [];
    if (fromBot && rows.length) wrap.append(this.renderKeyboard(m.id, rows));
    return wrap;
  }

  renderKeyboard(messageId, rows) {
    const keyboard = el("div", "keyboard");
    for (const row of rows) {
      if (!Array.isArray(row) || row.length === 0) continue;
      const line = el("div", "kb-row");
      for (const b of row) {
        line.append(this.renderButton(messageId, b || {}));
      }
      keyboard.append(line);
    }
    return keyboard;
  }

  renderButton(messageId, b) {
    const label = String(b.text ?? "");
    const data = b.data ?? b.callback_data;
    if (b.url) {
      const href = safeLink(b.url);
      if (href) {
        const a = el("a", "kb-button url", label);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.title = href;
        return a;
      }
    }
    const button = el("button", "kb-button", label);
    button.type = "button";
    button.dataset.testid = "kb-button";
    if (data !== undefined && data !== null && data !== "") {
      button.dataset.data = String(data);
      button.dataset.action = actionOf(String(data));
      button.addEventListener("click", () => this.press(messageId, String(data), button));
    } else {
      button.disabled = true;
      button.title = b.url ? "link not allowed in the sandbox" : "this button has no callback data";
    }
    return button;
  }
}

// ---------------------------------------------------------------------------
// CaseTrail is the checklist of each case on the page. Which cases: every
// reference either phone has shown since the sandbox started (kept in
// localStorage, so a reload or another reporter does not drop one). What
// happened to each: what the sandbox recorded (GET /_sandbox/cases), never
// the buttons on screen, which go away when pressed.

const TRAIL_STEPS = [
  { key: "reported", label: "Reported", phone: "reporter", hint: "", detail: (d) => d },
  {
    key: "notified",
    label: "On-call reviewer notified",
    phone: "reviewer",
    hint: "Waiting for the notification on the reviewer's phone.",
    detail: (d) => d,
  },
  {
    key: "taken",
    label: "Taken",
    phone: "reviewer",
    hint: "On the reviewer's phone, tap “I take it”.",
    detail: (d) => (d ? ` ${d}` : ""),
  },
  {
    key: "replied",
    label: "Team wrote to the reporter",
    phone: "reporter",
    hint: "On the reviewer's phone, tap “Write to reporter” and type a message.",
    detail: (d) => (d ? ` (${d})` : ""),
  },
  {
    key: "closed",
    label: "Closed",
    phone: "reviewer",
    hint: "On the reviewer's phone, tap “Close” and pick an outcome.",
    detail: (d) => (d ? `: ${d}` : ""),
  },
];

const CASES_KEY = "tipline-sandbox-cases-v1";
// At most this many cases are followed (the newest).
const MAX_CASES = 50;

const cases = {
  // trails asks the sandbox what happened to the cases named.
  trails(refs) {
    const q = refs.map((r) => `ref=${encodeURIComponent(r)}`).join("&");
    return request("GET", `/_sandbox/cases?${q}`);
  },
};

class CaseTrail {
  constructor(root) {
    this.root = root;
    this.list = part(root, ".case-list");
    this.emptyNote = part(root, ".cases-empty");
    this.refs = []; // every reference seen, oldest first
    try {
      const saved = JSON.parse(window.localStorage.getItem(CASES_KEY) || "[]");
      if (Array.isArray(saved)) this.refs = saved.filter((r) => typeof r === "string" && /^TL-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(r));
    } catch {
      // No storage: the cases of this page load only.
    }
    this.trails = []; // what the sandbox said, newest case first
    this.focus = "";
    this.onFocus = () => {};
    this.sig = "";
    this.inFlight = false;
    this.again = false;
    this.timer = 0;
  }

  // update notes the references a phone's chat shows, and asks the sandbox
  // again: a new message on either phone is a sign that something happened.
  update(panel, messages) {
    let added = false;
    for (const m of messages) {
      for (const ref of referencesOf(m)) {
        if (!this.refs.includes(ref)) {
          this.refs.push(ref);
          added = true;
        }
      }
    }
    if (added) {
      this.refs = this.refs.slice(-MAX_CASES);
      try {
        window.localStorage.setItem(CASES_KEY, JSON.stringify(this.refs));
      } catch {
        // Storage is a convenience.
      }
    }
    this.refresh();
  }

  // refresh asks for the trails now, and once more a moment later, in case
  // a phone showed a message before its step was read back.
  refresh() {
    this.fetch();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetch(), 1000);
  }

  async fetch() {
    if (this.refs.length === 0) return this.render();
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      const answer = await cases.trails(this.refs);
      this.trails = (answer && Array.isArray(answer.cases) ? answer.cases : []).slice().reverse();
      this.render();
    } catch {
      // The phones show the sandbox's errors; the checklist keeps what it had.
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.fetch();
      }
    }
  }

  setFocus(ref) {
    this.focus = ref;
    this.sig = "";
    this.render();
  }

  render() {
    const sig = JSON.stringify([this.focus, this.trails]);
    if (sig === this.sig) return;
    this.sig = sig;
    this.emptyNote.hidden = this.trails.length > 0;
    this.list.replaceChildren(...this.trails.map((c) => this.renderCase(c)));
  }

  renderCase(c) {
    const steps = c.steps || {};
    const item = el("li", "case");
    item.dataset.testid = "case";
    item.dataset.ref = c.ref;
    if (c.ref === this.focus) item.classList.add("in-focus");

    const head = el("button", "case-head");
    head.type = "button";
    head.dataset.testid = "case-focus";
    head.setAttribute("aria-pressed", String(c.ref === this.focus));
    head.title = "Mark this case's messages on both phones";
    head.append(el("span", "case-ref", c.ref));
    if (c.urgent) head.append(el("span", "case-urgent", "urgent"));
    head.addEventListener("click", () => this.onFocus(c.ref));
    item.append(head);

    const list = el("ol", "case-steps");
    let hinted = Boolean(steps.closed);
    for (const step of TRAIL_STEPS) {
      const done = steps[step.key];
      const li = el("li", `case-step ${done ? "done" : "pending"}`);
      li.dataset.step = step.key;
      li.dataset.done = String(Boolean(done));
      const mark = el("span", "step-mark", done ? "✓" : "○");
      mark.setAttribute("aria-hidden", "true");
      li.append(mark, el("span", "sr-only", done ? "Done: " : "Not yet: "));
      const body = el("span", "step-body");
      body.append(el("span", "step-label", step.label));
      if (done && done.detail) body.append(el("span", "step-detail", step.detail(done.detail)));
      const time = done && done.at ? timeOf(done.at) : "";
      body.append(el("span", "step-where", `${step.phone}'s phone${time ? ` · ${time}` : ""}`));
      if (!done && !hinted && step.hint) {
        hinted = true;
        body.append(el("span", "step-hint", step.hint));
      }
      li.append(body);
      list.append(li);
    }
    item.append(list);
    return item;
  }
}

// ---------------------------------------------------------------------------

function main() {
  const directory = new Directory();
  const phones = document.getElementById("phones");
  const trail = new CaseTrail(document.getElementById("cases"));
  const panels = [];
  // Tapping a case (in the trail or a reference in a message) marks its
  // messages on both phones; tapping it again clears the mark.
  const focus = (ref) => {
    const next = ref === trail.focus ? "" : ref;
    trail.setFocus(next);
    for (const p of panels) p.setFocus(next);
  };
  trail.onFocus = focus;
  const shared = { directory, onRender: (panel, messages) => trail.update(panel, messages), onReference: focus };

  const reporter = new PhonePanel({
    ...shared,
    title: "Reporter",
    userId: DEFAULT_REPORTER.id,
    firstName: DEFAULT_REPORTER.firstName,
    languageCode: DEFAULT_REPORTER.languageCode,
    role: "reporter",
  });
  // The reviewer `tipline sandbox` seeds: registered, on call at all hours,
  // so every case filed on the reporter's phone is notified here.
  const reviewer = new PhonePanel({
    ...shared,
    title: "Reviewer (on call)",
    userId: SANDBOX_REVIEWER.id,
    firstName: SANDBOX_REVIEWER.firstName,
    languageCode: SANDBOX_REVIEWER.languageCode,
    role: "reviewer",
    fixed: true,
    quickCommands: ["/queue", "/oncall"],
    attachments: false,
    microphone: true,
    emptyText: "No messages yet. New cases arrive here: this reviewer is on call around the clock.",
    about: "The sandbox's reviewer, on call around the clock.",
  });
  panels.push(reporter, reviewer);
  for (const p of panels) p.mount(phones, trail.root);
  // For browser tests and the console.
  window.tiplineSandbox = { panels, trail, emulator };
}

main();
