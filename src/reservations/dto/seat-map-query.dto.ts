import { PageQuery } from '../../common/http/pagination.js';

export class SeatMapQueryDto extends PageQuery({ defaultLimit: 100, maxLimit: 500 }) {}
