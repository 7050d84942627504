const numberFormat = new Intl.NumberFormat('en');

export const points = (amount: number): string => `${numberFormat.format(amount)} points`;

export const dateTime = (iso: string): string =>
  new Date(iso).toLocaleString('en', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

/** 272 → "4:32" */
export const clock = (seconds: number): string => {
  const whole = Math.max(0, Math.ceil(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
};

export const count = (value: number): string => numberFormat.format(value);

export const salesStateLabel: Record<string, string> = {
  UPCOMING: 'Upcoming',
  ON_SALE: 'On sale',
  PAUSED: 'Sales paused',
  CLOSED: 'Sales closed',
};
