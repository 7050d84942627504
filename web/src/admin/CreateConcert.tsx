import { useState } from 'preact/hooks';
import { api, call } from '../api.js';
import { count, points } from '../format.js';
import { adminMessage } from './admin-messages.js';

interface SectionInput {
  name: string;
  rows: string;
  seatsPerRow: string;
  price: string;
}

const ROW_LABELS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** A, B, …, Z, AA, AB, … */
const rowLabel = (index: number): string =>
  index < 26 ? ROW_LABELS[index]! : rowLabel(Math.floor(index / 26) - 1) + ROW_LABELS[index % 26]!;

/** Sections of rows × seats: rows are lettered across sections (A1…A20, B1…), priced by section. */
export function seatList(sections: { name: string; rows: number; seatsPerRow: number; price: number }[]) {
  const seats: { number: string; section: string; price: number }[] = [];
  let row = 0;
  for (const section of sections)
    for (let r = 0; r < section.rows; r++, row++)
      for (let place = 1; place <= section.seatsPerRow; place++)
        seats.push({ number: `${rowLabel(row)}${place}`, section: section.name, price: section.price });
  return seats;
}

const blankSection = (name: string, price: string): SectionInput => ({
  name,
  rows: '2',
  seatsPerRow: '10',
  price,
});

export function CreateConcert({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [venue, setVenue] = useState('');
  const [startsAt, setStartsAt] = useState('');
  const [capacity, setCapacity] = useState('5');
  const [windowSeconds, setWindowSeconds] = useState('300');
  const [sections, setSections] = useState<SectionInput[]>([
    blankSection('Floor', '100000'),
    blankSection('Balcony', '50000'),
  ]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const parsed = sections.map((section) => ({
    name: section.name.trim(),
    rows: Number(section.rows),
    seatsPerRow: Number(section.seatsPerRow),
    price: Number(section.price),
  }));
  const seatCount = parsed.reduce((sum, section) => sum + (section.rows * section.seatsPerRow || 0), 0);

  const edit = (index: number, field: keyof SectionInput, value: string) =>
    setSections((list) => list.map((section, i) => (i === index ? { ...section, [field]: value } : section)));

  const submit = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const created = await call(
        api.POST('/admin/concerts', {
          body: {
            name,
            venue,
            // datetime-local is the operator's local time; the API wants an instant with an offset.
            startsAt: new Date(startsAt).toISOString(),
            queueCapacity: Number(capacity),
            queueWindowSeconds: Number(windowSeconds),
            seats: seatList(parsed),
          },
        }),
      );
      setMessage({
        ok: true,
        text: `Created ${created.name} with ${count(created.seatCount)} seats. It is on sale now.`,
      });
      setName('');
      setVenue('');
      onCreated();
    } catch (failure) {
      setMessage({ ok: false, text: adminMessage(failure) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="card" open>
      <summary>
        <h2>New concert</h2>
      </summary>
      <form
        class="stack"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <div class="grid">
          <label>
            Name
            <input
              name="name"
              required
              maxLength={200}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <label>
            Venue
            <input
              name="venue"
              required
              maxLength={200}
              value={venue}
              onInput={(e) => setVenue(e.currentTarget.value)}
            />
          </label>
          <label>
            Starts at
            <input
              name="startsAt"
              type="datetime-local"
              required
              value={startsAt}
              onInput={(e) => setStartsAt(e.currentTarget.value)}
            />
          </label>
          <label>
            Active windows at once
            <input
              name="queueCapacity"
              type="number"
              min={1}
              max={100000}
              required
              value={capacity}
              onInput={(e) => setCapacity(e.currentTarget.value)}
            />
          </label>
          <label>
            Window length (seconds)
            <input
              name="queueWindowSeconds"
              type="number"
              min={1}
              max={86400}
              required
              value={windowSeconds}
              onInput={(e) => setWindowSeconds(e.currentTarget.value)}
            />
          </label>
        </div>
        <table class="sections">
          <caption>Sections: rows × seats, priced by section ({count(seatCount)} seats)</caption>
          <thead>
            <tr>
              <th scope="col">Section</th>
              <th scope="col">Rows</th>
              <th scope="col">Seats per row</th>
              <th scope="col">Price (points)</th>
              <th scope="col">
                <span class="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sections.map((section, index) => (
              <tr key={index}>
                <td>
                  <input
                    aria-label={`Section ${index + 1} name`}
                    required
                    maxLength={50}
                    value={section.name}
                    onInput={(e) => edit(index, 'name', e.currentTarget.value)}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Section ${index + 1} rows`}
                    type="number"
                    min={1}
                    required
                    value={section.rows}
                    onInput={(e) => edit(index, 'rows', e.currentTarget.value)}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Section ${index + 1} seats per row`}
                    type="number"
                    min={1}
                    required
                    value={section.seatsPerRow}
                    onInput={(e) => edit(index, 'seatsPerRow', e.currentTarget.value)}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Section ${index + 1} price`}
                    type="number"
                    min={0}
                    required
                    value={section.price}
                    onInput={(e) => edit(index, 'price', e.currentTarget.value)}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    class="link"
                    aria-label={`Remove section ${section.name || index + 1}`}
                    disabled={sections.length === 1}
                    onClick={() => setSections((list) => list.filter((_, i) => i !== index))}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="row">
          <button
            type="button"
            class="secondary"
            onClick={() => setSections((list) => [...list, blankSection('', '30000')])}
          >
            Add section
          </button>
          <button type="submit" disabled={busy}>
            Create concert
          </button>
        </div>
        {parsed.every((section) => section.price >= 0) && seatCount > 0 && (
          <p class="muted">
            Full house: {points(parsed.reduce((sum, s) => sum + s.rows * s.seatsPerRow * s.price || 0, 0))}
          </p>
        )}
        {message && (
          <p class={message.ok ? 'success' : 'error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
      </form>
    </details>
  );
}
