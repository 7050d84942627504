import { render } from 'preact';
import '../styles.css';
import { Console } from './Console.js';

render(<Console />, document.getElementById('app')!);
